/**
 * Stands in for `dom-serializer` in the Lambda bundles. htmlparser2's index re-exports DOM
 * helpers that serialize nodes back to HTML, and their entity encoders (about 26 KB minified)
 * stay in a bundle because esbuild cannot prove them free of side effects. The HTML reader uses
 * only htmlparser2's streaming `Parser` and never serializes, so the bundles take this instead;
 * anything that did call it would get an empty string, never a crash.
 */
export default function render(): string {
  return '';
}
export const encodeXML = (text: string): string => text;
