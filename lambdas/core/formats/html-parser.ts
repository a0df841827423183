/**
 * The one piece of htmlparser2 the HTML reader uses, imported by name so that a bundle keeps the
 * parser and leaves out the DOM helpers and entity encoders the package's index also exports.
 * `html.ts` requires this file on first use.
 */
export { Parser } from 'htmlparser2';
