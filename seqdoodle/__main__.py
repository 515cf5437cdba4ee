"""`python -m seqdoodle` runs the command-line interface."""

from seqdoodle.cli import main

if __name__ == "__main__":
    main()
