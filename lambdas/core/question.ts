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
  | 'version'
  | 'place'
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
  /** what a definition question asks about: "What is *minimatch*?" → "minimatch"; else null */
  subject: string | null;
  /**
   * the noun the answer is a value of: "which merge *strategy* does …", "how many log *lines* …",
   * "what *label* does …" (lower case, as written); null when the question names none
   */
  focus: string | null;
  /**
   * the code names the question writes out — an option (`-d`, `--since`), a call (`console.time()`,
   * `form.append()`), a constant (`FC_DEBUG`), a camelCase or dotted name, a dotted version
   * (`24.04`) — lower case, without `()`: the unit that answers is about one of them
   */
  names: string[];
}

const YES_NO = /^(?:does|do|did|can|could|is|are|was|were|will|would|should|am|may|has|have|must)\b/;
const DURATION =
  /\b(?:how (?:long|often|soon|frequently|much time)|after how (?:long|many (?:seconds|minutes|hours|days))|what (?:interval|timeout|delay|period)|how many (?:seconds|minutes|hours|days|weeks|months|years|milliseconds|ms))\b/;
const QUANTITY =
  /\b(?:how (?:many|much|big|large|small|wide|deep|far|high|low|old)|what (?:size|scale|number|percentage|port|permissions|mode|exit (?:status|code)|(?:maximum|minimum|max|min)\b)|which (?:port|exit (?:status|code)|number)|roughly how)\b/;
// "when is the desk open?" asks for hours, not a date: only events in time ask for one
const DATE =
  /\b(?:when (?:was|were|did)|when (?:is|are|will)\b.*\b(?:released?|due|scheduled|published|out|available|end|ends|start|starts|expire|expires)\b|what (?:date|year|day)|which (?:date|year|day)|release date)\b/;
const IDENTIFIER =
  /\b(?:which|what(?:'s| is| are)?)(?: the| a| an)?(?: \w+)? (?:environment variable|variable|option|flag|switch|setting|parameter|argument|file|files|directory|path|command|function|method|module|key|field|error code|code|prefix|suffix|entry point|format|label|id|name|address|e-?mail|character|signal|property|event|header|strategy|algorithm|mode|modes|preset|type|extension|package)s?\b/;
const VERSION = /\b(?:which|what) (?:\w+ ){0,2}(?:version|release)s?\b|\bin which (?:version|release)\b/;
const REASON = /^(?:why)\b|\bwhy (?:does|do|is|are|did|would)\b|\bwhat causes\b|\bhow come\b/;
const PROCEDURE =
  /(?:^|, )(?:how (?:do|can|should|would|to)|how do i|what(?:'s| is) the (?:way|command) to|in what way)\b/;
/** "is there a setting that …", "what will the file be called": the answer is a name */
const SETTING =
  /\bis there (?:a|an|any) (?:\w+ )?(?:setting|option|flag|variable|switch|parameter|command)\b|\bwhat will (?:\S+ ){1,4}be (?:called|named)\b|\bwhat should i set\b/;
/** "where does … write", "where do … come from": a path, a stream, an address */
const PLACE = /^where\b/;
const DEFINED = /^(?:what (?:is|are)|what's|who is) (?:a |an |the )?(.{1,60}?)\s*\?*$/;
// "What does X mean?" defines; "What does frob.load() return on Windows?" asks for a value
const DEFINITION =
  /^(?:what (?:is|are)|what's|who is)\b|^what (?:does|do)\b(?!.*\b(?:return|returns|print|prints|output|outputs|give|gives|show|shows|produce|produces|yield|yields)\b)/;
const DEFAULT =
  /\b(?:default|defaults|by itself|out of the box|unless|otherwise|without (?:a |an |any |the |passing |giving |setting |specifying |changing )?|if i (?:don't|do not|never)|(?:isn't|is not|aren't|not|never) (?:set|given|passed|specified|configured|changed)|forgot|left (?:on|off|out|unset|alone)|when (?:left|nothing)|if (?:none|nothing|not)|don't (?:pass|give|set|configure|specify|change|pick|choose))\b/;
const CODE = /\b(?:command|snippet|code|call|invoke|syntax|run|require|import|write)\b/;

export function analyzeQuestion(question: string): QuestionAnalysis {
  const q = question.toLowerCase().replace(/[’`]/g, "'").replace(/\s+/g, ' ').trim();
  // the last sentence of a question that starts with context ("My server was off. How do I …?")
  // "If I set TZ in my crontab, will cron …?" asks "will cron …?": a leading condition is context
  const asked = lastQuestion(q).replace(/^(?:if|when|after|before|once|in|on|with|for) [^,?]{1,80}, (?=\w)/, '');
  const asksDefault = DEFAULT.test(q);
  const asksCode = CODE.test(asked) && /\b(?:which|what|how)\b/.test(asked);
  let kind: AnswerKind = 'other';
  if (DURATION.test(asked)) kind = 'duration';
  else if (DATE.test(asked)) kind = 'date';
  else if (QUANTITY.test(asked)) kind = 'quantity';
  else if (VERSION.test(asked)) kind = 'version';
  else if (IDENTIFIER.test(asked) || SETTING.test(asked)) kind = 'identifier';
  else if (PLACE.test(asked)) kind = 'place';
  else if (REASON.test(asked)) kind = 'reason';
  else if (YES_NO.test(asked)) kind = 'yesno';
  else if (PROCEDURE.test(asked)) kind = 'procedure';
  else if (DEFINITION.test(asked)) kind = 'definition';
  // "What is minimatch?" defines; "What's the deprecation ID for Buffer()?" asks for a value of it
  const named = kind === 'definition' ? (DEFINED.exec(asked)?.[1]?.trim() ?? '') : '';
  const subject =
    named && named.split(/\s+/).length <= 3 && !/\b(?:of|for|in|on|to|with|by|from)\b/.test(named) ? named : null;
  return { kind, asksDefault, asksCode, focus: focusOf(asked), subject, names: namesIn(question) };
}

const NAME =
  /(?<![\w-])--?[a-z][\w-]*|\b[\w$]+(?:\.[\w$]+)*\(\)|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|\b[a-z_$][\w$]*\.[a-z_$][\w$]*\b|\b\d+\.\d+(?:\.\d+)*\b/g;

/** The code names a question writes out (see `QuestionAnalysis.names`). */
export function namesIn(question: string): string[] {
  const out = new Set<string>();
  for (const m of question.matchAll(NAME)) {
    const name = m[0].replace(/\(\)$/, '').toLowerCase();
    // "Node.js" and "e.g." are words, not names
    if (/^(?:node\.js|e\.g|i\.e|etc\.)$/.test(name) || name.length < 2) continue;
    out.add(name);
  }
  return [...out];
}

/** Whether text writes out one of the names (an option as a whole word: `-d` is not in `--dir`). */
export function holdsName(names: string[], text: string): boolean {
  const t = text.toLowerCase();
  return names.some((n) => {
    const at = t.indexOf(n);
    if (at < 0) return false;
    const escaped = n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`).test(t);
  });
}

const FOCUS_START =
  /\b(?:which|what|how many|how much)\s+((?:[\w.-]+\s+){0,3}?)(?:does|do|did|is|are|was|were|will|would|can|could|should|gets?|has|have)\b/;
const NOT_FOCUS = new Set([
  'kind',
  'kinds',
  'sort',
  'type',
  'types',
  'of',
  'the',
  'a',
  'an',
  'exactly',
  'else',
  'default',
]);

/** The last word of the noun phrase after "which", "what" or "how many", before its verb. */
function focusOf(asked: string): string | null {
  const m = FOCUS_START.exec(asked);
  if (!m) return null;
  const words = m[1]
    .trim()
    .split(/\s+/)
    .filter((w) => w && !NOT_FOCUS.has(w));
  return words.length > 0 ? words[words.length - 1].replace(/'s$/, '') : null;
}

/** The sentence of a question that asks (the one ending in "?", else the last). */
function lastQuestion(q: string): string {
  const parts = q.split(/(?<=[.?!])\s+/).filter((p) => p.length > 0);
  return parts.find((p) => p.endsWith('?')) ?? parts[parts.length - 1] ?? q;
}

const TIME_UNIT =
  '(?:ms|msec|milliseconds?|s|secs?|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?|weeks?|months?|years?|us|µs|microseconds?|ns|nanoseconds?)';
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|half';
const HAS_DURATION = new RegExp(
  // a number and a unit, a closing bracket or quote between them allowed ("<sixteen> weeks")
  `(?:\\b(?:\\d+(?:[.,]\\d+)?|${NUMBER_WORDS})[>)\\]'"”]?[- ]?(?:business |calendar |working )?${TIME_UNIT}\\b|\\b(?:daily|hourly|weekly|monthly|yearly|immediately|never)\\b)`,
  'i',
);
// a digit that is not a man-page section reference ("libxslt(3)") nor a bug number ("#643559")
const HAS_NUMBER = new RegExp(
  `(?:(?<!\\w\\()(?<!#\\d*)\\d|\\b(?:${NUMBER_WORDS}|zero|none|unlimited|infinity|no limit)\\b)`,
  'i',
);
const HAS_DATE =
  /\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s\d{1,2},?\s\d{4}|(?:19|20)\d{2})\b/i;
const HAS_IDENTIFIER =
  /(?:(?:^|\s)--?[a-z][\w-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|\b\w+\(\)|`[^`]+`|(?:^|\s)[.~]?\/[\w./-]+|\b[\w-]+\.[a-z]{1,5}\b|\b[A-Z]{2,}\b|'[^'\s]{1,20}'|"[^"\s]{1,20}"|\b[\w.+-]+@[\w-]+\.\w+)/;
const HAS_DEFAULT =
  /\b(?:default|defaults|defaulted|by default|unless|otherwise|if (?:not|no|omitted|unset|none)|when (?:not|no|omitted|unset)|is used if|are used if|implied|initially|automatically)\b/i;
const HAS_PLACE =
  /(?:(?:^|[\s(`'"])[~.]?\/[\w.-]|\b(?:stdout|stderr|stdin|standard (?:output|error|input)|localhost|directory|folder|home|path)\b|\b\d{1,3}(?:\.\d{1,3}){3}\b|:\d{2,5}\b|\b[\w.-]+\.(?:com|org|net|io)\b|\$\w+)/i;
const HAS_REASON =
  /\b(?:because|since|due to|so that|so as|as a result|in order to|caused by|means that|reason|cannot|can't|not supported|does not|doesn't|is not|isn't|only)\b/i;
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
    case 'place':
      return HAS_PLACE.test(text);
    case 'version':
      return /\b(?:v?\d+\.\d+(?:\.\d+)*|version \d+)\b/i.test(text);
    case 'reason':
      return HAS_REASON.test(text);
    case 'yesno':
      return HAS_YESNO.test(text);
    default:
      return true;
  }
}

const SETS_DEFAULT =
  /(?:\bby default,|\bdefaults? (?:to|is|are|value|setting)\b|\bdefaults?:|\(default[:=]|\bis the default\b|\bthe default (?:is|value|setting)\b|\bif (?:no|none|not|omitted|unset)\b[^.]{0,40}\b(?:specified|given|set|passed|provided|used)\b|\bunless (?:otherwise )?(?:specified|given|set)\b|\bwhen (?:not|no)\b[^.]{0,30}\b(?:specified|given|set)\b|\binstead of the default\b)/i;

/**
 * Whether text states a default: 2 when it sets one ("Defaults to 15min.", "By default, arrays are
 * concatenated", "if no strategy has been specified, -s ort"), 1 when it only mentions one, else 0.
 */
export function statesDefault(text: string): 0 | 1 | 2 {
  if (SETS_DEFAULT.test(text)) return 2;
  return HAS_DEFAULT.test(text) ? 1 : 0;
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
    /^(?:who|what|what's|which|when|where|why|how|whose|whom|does|do|did|can|could|is|are|was|were|will|would|should|am|may|has|have|must|shall)\b/.test(
      t,
    )
  );
}

/**
 * Whether a sentence defines the subject: "minimatch is a glob matcher", "Fecha is a lightweight
 * date formatting library", "xz - Compress or decompress .xz files" (a man page's NAME line).
 */
export function defines(subject: string, sentence: string): boolean {
  const name = subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^(?:the |an? )?\`?${name}\`?(?:\\s*\\([^)]{0,20}\\))?(?:,[^.]{0,80}?)?(?:\\s+(?:is|are|was)(?! not)\\b|\\s+[-—–]\\s)`,
    'i',
  ).test(sentence.trim());
}
