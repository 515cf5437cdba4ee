/** The error every validation in this package throws (the Python package's `DataFormatError`). */
export class DataFormatError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DataFormatError';
  }
}
