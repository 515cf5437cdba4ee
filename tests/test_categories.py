import pytest

from seqdoodle.datasets.categories import all_categories, check_class, parse_class_list
from seqdoodle.errors import UnknownClassError


def test_345_unique_categories_with_spaces():
    cats = all_categories()
    assert len(cats) == 345 == len(set(cats))
    assert "The Eiffel Tower" in cats and "cat" in cats


def test_unknown_class_suggests_close_match():
    with pytest.raises(UnknownClassError, match=r"Unknown class 'catt'\. Did you mean: cat"):
        check_class("catt")


def test_unknown_class_without_match_is_one_line():
    with pytest.raises(UnknownClassError) as e:
        check_class("qqqqzzzz")
    assert "\n" not in str(e.value) and "Did you mean" not in str(e.value)


def test_parse_class_list_strips_and_dedupes():
    assert parse_class_list(" cat,dog ,cat") == ["cat", "dog"]
    with pytest.raises(UnknownClassError):
        parse_class_list(" , ")


def test_case_mismatch_suggests_exact_name():
    with pytest.raises(UnknownClassError, match="The Eiffel Tower"):
        check_class("the eiffel tower")
