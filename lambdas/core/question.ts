/**
 * What a question asks for, read from its wording: the kind of answer (a duration, an amount, a
 * date, a name such as an option or a variable, a yes or no, a reason, a procedure, a definition)
 * and whether it asks for a default ("if I don't set …", "unless told otherwise"). An answer must
 * be of that kind: "How long is the refund window?" is answered by a sentence holding a
 * duration, not by one that merely repeats "refund".
 */

export type AnswerKind =
  | 'duration'
  | 'quantity'
  | 'date'
  | 'identifier'
  | 'yesno'
  | 'reason'
  | 'procedure'
  | 'definition'
  | 'other';

export interface QuestionAnalysis {
  kind: AnswerKind;
  /** the question asks what happens when nothing is set: the default, or "unless …" */
  asksDefault: boolean;
  /** the question asks for code: a command, a snippet, a call */
  asksCode: boolean;
}

const YES_NO = /^(?:does|do|did|can|could|is|are|was|were|will|would|should|am|may|has|have|must)\b/;
const DURATION =
  /\b(?:how (?:long|often|soon|frequently|much time)|after how (?:long|many (?:seconds|minutes|hours|days))|what (?:interval|timeout|delay|period)|how many (?:seconds|minutes|hours|days|weeks|months|years|milliseconds|ms))\b/;
const QUANTITY =
  /\b(?:how (?:many|much|big|large|small|wide|deep|far|high|low|old)|what (?:size|scale|number|percentage|port|exit (?:status|code)|(?:maximum|minimum|max|min)\b)|which (?:port|exit (?:status|code)|number)|roughly how)\b/;
const DATE = /\b(?:when (?:was|were|did|is|will)|what (?:date|year|day)|which (?:date|year|day)|release date)\b/;
const IDENTIFIER =
  /\b(?:which|what)(?: \w+)? (?:environment variable|variable|option|flag|switch|setting|parameter|argument|file|files|directory|path|command|function|method|module|key|field|error code|code|prefix|suffix|entry point|format|label|id|name|address|e-?mail|character|signal|property|event|header|strategy|algorithm|mode|modes|preset|type|extension|package)s?\b/;
const REASON = /^(?:why)\b|\bwhy (?:does|do|is|are|did|would)\b|\bwhat causes\b|\bhow come\b/;
const PROCEDURE = /^(?:how (?:do|can|should|would|to)|how do i|what(?:'s| is) the (?:way|command) to|in what way)\b/;
const DEFINITION = /^(?:what (?:is|are|does|do)|what's|who is)\b/;
const DEFAULT =
  /\b(?:default|defaults|by itself|out of the box|unless|otherwise|without (?:a |an |any |the |passing |giving |setting |specifying |changing )?|if i (?:don't|do not|never)|(?:isn't|is not|aren't|not|never) (?:set|given|passed|specified|configured|changed)|forgot|left (?:on|off|out|unset|alone)|when (?:left|nothing)|if (?:none|nothing|not)|don't (?:pass|give|set|configure|specify|change|pick|choose))\b/;
const CODE = /\b(?:command|snippet|code|call|invoke|syntax|run|require|import|write)\b/;

export function analyzeQuestion(question: string): QuestionAnalysis {
  const q = question
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  // the last sentence of a question that starts with context ("My server was off. How do I …?")
  const asked = lastQuestion(q);
  const asksDefault = DEFAULT.test(q);
  const asksCode = CODE.test(asked) && /\b(?:which|what|how)\b/.test(asked);
  let kind: AnswerKind = 'other';
  if (DURATION.test(asked)) kind = 'duration';
  else if (DATE.test(asked)) kind = 'date';
  else if (QUANTITY.test(asked)) kind = 'quantity';
  else if (IDENTIFIER.test(asked)) kind = 'identifier';
  else if (REASON.test(asked)) kind = 'reason';
  else if (YES_NO.test(asked)) kind = 'yesno';
  else if (PROCEDURE.test(asked)) kind = 'procedure';
  else if (DEFINITION.test(asked)) kind = 'definition';
  return { kind, asksDefault, asksCode };
}

/** The sentence of a question that asks (the one ending in "?", else the last). */
function lastQuestion(q: string): string {
  const parts = q.split(/(?<=[.?!])\s+/).filter((p) => p.length > 0);
  return parts.find((p) => p.endsWith('?')) ?? parts[parts.length - 1] ?? q;
}

const TIME_UNIT =
  '(?:ms|msec|milliseconds?|s|secs?|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?|weeks?|months?|years?|us|µs|microseconds?|ns|nanoseconds?)';
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|thousand|million|half';
const HAS_DURATION = new RegExp(
  `(?:\\b\\d+(?:[.,]\\d+)?\\s?${TIME_UNIT}\\b|\\b(?:${NUMBER_WORDS})[- ]${TIME_UNIT}\\b|\\b(?:${NUMBER_WORDS}|\\d+)\\s(?:business |calendar |working )?${TIME_UNIT}\\b|\\b(?:daily|hourly|weekly|monthly|yearly|immediately|never)\\b)`,
  'i',
);
const HAS_NUMBER = new RegExp(`(?:\\d|\\b(?:${NUMBER_WORDS}|zero|none|unlimited|infinity|no limit)\\b)`, 'i');
const HAS_DATE =
  /\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s\d{1,2},?\s\d{4}|(?:19|20)\d{2})\b/i;
const HAS_IDENTIFIER =
  /(?:(?:^|\s)--?[a-z][\w-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|\b\w+\(\)|`[^`]+`|(?:^|\s)[.~]?\/[\w./-]+|\b[\w-]+\.[a-z]{1,5}\b|\b[A-Z]{2,}\b|'[^'\s]{1,20}'|"[^"\s]{1,20}"|\b[\w.+-]+@[\w-]+\.\w+)/;
const HAS_DEFAULT =
  /\b(?:default|defaults|defaulted|by default|unless|otherwise|if (?:not|no|omitted|unset|none)|when (?:not|no|omitted|unset)|is used if|are used if|implied|initially|automatically)\b/i;
const HAS_REASON = /\b(?:because|since|due to|so that|so as|as a result|in order to|caused by|means that|reason|cannot|can't|not supported|does not|doesn't|is not|isn't|only)\b/i;
const HAS_YESNO = /\b(?:yes|no|not|never|cannot|can't|can|supports?|supported|allowed|only|must|always|may|should)\b/i;

/** Whether a piece of text holds an answer of the kind asked for. */
export function holdsKind(kind: AnswerKind, text: string): boolean {
  switch (kind) {
    case 'duration':
      return HAS_DURATION.test(text);
    case 'quantity':
      return HAS_NUMBER.test(text);
    case 'date':
      return HAS_DATE.test(text);
    case 'identifier':
      return HAS_IDENTIFIER.test(text);
    case 'reason':
      return HAS_REASON.test(text);
    case 'yesno':
      return HAS_YESNO.test(text);
    default:
      return true;
  }
}

/** Whether text states a default: "Defaults to 15min.", "unless -d is given", "by default". */
export function statesDefault(text: string): boolean {
  return HAS_DEFAULT.test(text);
}

/** Kinds whose answer is a value: a sentence without one cannot answer. */
export function needsValue(kind: AnswerKind): boolean {
  return kind === 'duration' || kind === 'quantity' || kind === 'date';
}

/**
 * Whether the text asks something ("How long …?", "does X support Y") rather than states a claim
 * to check ("Vitamin D lowers the risk of stroke."): a claim needs strong evidence that it holds,
 * a question an answer of the kind it asks for.
 */
export function isQuestion(text: string): boolean {
  const t = text.trim().toLowerCase();
  return (
    /\?["')\]]*$/.test(t) ||
    /^(?:who|what|what's|which|when|where|why|how|whose|whom|does|do|did|can|could|is|are|was|were|will|would|should|am|may|has|have|must|shall)\b/.test(t)
  );
}
