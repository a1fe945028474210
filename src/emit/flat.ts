/**
 * The same string, stored by V8 as one piece. A string built with `+=` or a template literal is
 * kept as a tree of its pieces (a rope) until something reads its characters; a document of
 * thousands of lines is then thousands of small heap objects, and every garbage collection until
 * the end of the run traces them, and copies them while they are young. Reading a character of a
 * rope makes V8 copy it into one flat string (its runtime flattens before it reads), and the
 * pieces become garbage while they are young. The read goes into a module variable, so an
 * optimising compiler cannot drop it as unused.
 */
export function flat(s: string): string {
  sink ^= s.charCodeAt(0);
  return s;
}
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- only written: the write keeps the read
let sink = 0;
