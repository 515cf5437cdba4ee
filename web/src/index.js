/** seqdoodle's preprocessing in JavaScript: the same outputs as the Python package. */
export { DataFormatError } from './errors.js';
export { simplifyStrokes, roundHalfEven, EPSILON } from './simplify.js';
export { renderBitmap, ORIGINAL_SIDE, LINE_DIAMETER, PADDING, TOTAL_PADDING } from './render.js';
export { drawingToStroke3 } from './stroke3.js';
export { renderChannels, checkChannels, CHANNELS, DEFAULT_CHANNELS } from './channels.js';
