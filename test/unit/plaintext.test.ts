import type { Block } from '../../lambdas/core/chunking';
import { extractText } from '../../lambdas/core/extract';
import { plainText } from '../../lambdas/core/formats/plaintext';

const h = (level: number, text: string): Block => ({ kind: 'heading', level, text, page: null });
const p = (text: string): Block => ({ kind: 'text', text, page: null });
const blocksOf = (text: string) => plainText(text).blocks;

/** extractText's reading of plain text before plaintext.ts: paragraphs at blank lines, lines trimmed. */
function paragraphsAsBefore(text: string): Block[] {
  const blocks: Block[] = [];
  let lines: string[] = [];
  const flush = () => {
    const para = lines.join('\n').trim();
    if (para) blocks.push(p(para));
    lines = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') flush();
    else lines.push(line.replace(/^[ \t]+/, '').replace(/[ \t]+$/, ''));
  }
  flush();
  return blocks;
}

// an invented command, laid out as `man frobnicate | col -b` would print it
const FROBNICATE = `FROBNICATE(1)                    User Commands                   FROBNICATE(1)

NAME
       frobnicate - adjust the frob level of files

SYNOPSIS
       frobnicate [OPTION]... FILE...

DESCRIPTION
       frobnicate reads each FILE and adjusts its frob level in place.  Files
       that are already frobbed are left alone.

       With no FILE, read standard input.

OPTIONS
   General
       -z, --gzip
              filter the archive through gzip

       -l, --level=N
              set the frob level to N; the level must lie between 1 and
              9.  Defaults to 5.

       --interval=TIME
              Sets how often the frob state is written back to disk, as a
              time span such as "30s" or "5min". Defaults to 15min.

       -q, --quiet
              do not print the names of the files

              that were frobbed

   Output
       -p pid
       --pid=pid
              frob only the files held open by process pid.

              Multiple -p options may be given.

       -n     (ignored)

       --help display this help and exit

EXIT STATUS
       0      all files were frobbed

       1      a file could not be read

SEE ALSO
       unfrob(1), frob.conf(5)

frobutils 1.2                     March 2024                     FROBNICATE(1)
`;

describe('plainText: a man page rendered to text', () => {
  it('reads sections, subsections, paragraphs and one block per option entry', () => {
    expect(extractText(Buffer.from(FROBNICATE), 'text/plain')).toEqual({
      title: null,
      blocks: [
        h(1, 'NAME'),
        p('frobnicate - adjust the frob level of files'),
        h(1, 'SYNOPSIS'),
        p('frobnicate [OPTION]... FILE...'),
        h(1, 'DESCRIPTION'),
        p(
          'frobnicate reads each FILE and adjusts its frob level in place.  Files that are already frobbed are left alone.',
        ),
        p('With no FILE, read standard input.'),
        h(1, 'OPTIONS'),
        h(2, 'General'),
        p('-z, --gzip\nfilter the archive through gzip'),
        p('-l, --level=N\nset the frob level to N; the level must lie between 1 and 9.  Defaults to 5.'),
        p(
          '--interval=TIME\nSets how often the frob state is written back to disk, as a time span such as "30s" or "5min". Defaults to 15min.',
        ),
        // a description split by a blank line mid-sentence is still one description
        p('-q, --quiet\ndo not print the names of the files that were frobbed'),
        h(2, 'Output'),
        // aliases on lines of their own are one term; a second paragraph stays in the entry
        p('-p pid, --pid=pid\nfrob only the files held open by process pid. Multiple -p options may be given.'),
        // a description on the term's line: after 2+ spaces, or groff's single space
        p('-n\n(ignored)'),
        p('--help\ndisplay this help and exit'),
        h(1, 'EXIT STATUS'),
        p('0\nall files were frobbed'),
        p('1\na file could not be read'),
        h(1, 'SEE ALSO'),
        p('unfrob(1), frob.conf(5)'),
      ],
    });
  });

  it('reads a systemd-style settings page: Key= entries, a bulleted sub-list, an example', () => {
    const page = `FROB.CONF(5)                       frob.conf                      FROB.CONF(5)

NAME
       frob.conf - frob daemon configuration

OPTIONS
       RestartSec=
           Configures the time to sleep before restarting the frob daemon (as
           configured with Restart=). Takes a unit-less value in seconds, or a
           time span value such as "5min 20s". Defaults to 100ms.

       Mode=
           One of strict or lax:

           o   strict refuses files whose frob
               level is unknown.

           o   lax guesses.

EXAMPLES
       To restart quickly:

           [Service]
           RestartSec=1s

frob 3                                                            FROB.CONF(5)
`;
    expect(blocksOf(page)).toEqual([
      h(1, 'NAME'),
      p('frob.conf - frob daemon configuration'),
      h(1, 'OPTIONS'),
      p(
        'RestartSec=\nConfigures the time to sleep before restarting the frob daemon (as configured with Restart=). Takes a unit-less value in seconds, or a time span value such as "5min 20s". Defaults to 100ms.',
      ),
      p('Mode=\nOne of strict or lax:\n- strict refuses files whose frob level is unknown.\n- lax guesses.'),
      h(1, 'EXAMPLES'),
      p('To restart quickly:'),
      // indented past the body: an example, whose lines are kept
      p('[Service]\nRestartSec=1s'),
    ]);
  });

  it('drops a BSD footer and rejoins a word the renderer hyphenated across lines', () => {
    const page = `FROB(1)                BSD General Commands Manual               FROB(1)

NAME
     frob -- frob files

SEE ALSO
     unfrob(1), frob-
     daemon(8)

BSD                           March 2, 2024                           BSD
`;
    expect(blocksOf(page)).toEqual([
      h(1, 'NAME'),
      p('frob -- frob files'),
      h(1, 'SEE ALSO'),
      p('unfrob(1), frob-daemon(8)'),
    ]);
  });

  it('reads a header-less page by its upper-case headings over an indented body', () => {
    expect(blocksOf('NAME\n       frob - frob files\n\nEXIT STATUS\n       0      success\n')).toEqual([
      h(1, 'NAME'),
      p('frob - frob files'),
      h(1, 'EXIT STATUS'),
      p('0\nsuccess'),
    ]);
  });

  it('does not take a justified line of prose for a term and its description', () => {
    const page = `NAME
       frob - frob files

DESCRIPTION
       frobnicate   reads  each  FILE  and  adjusts  its  frob  level  in
       place.
`;
    expect(blocksOf(page)).toEqual([
      h(1, 'NAME'),
      p('frob - frob files'),
      h(1, 'DESCRIPTION'),
      p('frobnicate   reads  each  FILE  and  adjusts  its  frob  level  in place.'),
    ]);
  });

  it('keeps options listed inside a description as entries of their own', () => {
    const page = `NAME
       frob - frob files

OPTIONS
       --frob-info
              Show internal frob information.

              -K, --kill
                     Attempts to close frobs.

              -s, --summary
                     Print summary statistics.
`;
    expect(blocksOf(page)).toEqual([
      h(1, 'NAME'),
      p('frob - frob files'),
      h(1, 'OPTIONS'),
      p('--frob-info\nShow internal frob information.'),
      p('-K, --kill\nAttempts to close frobs.'),
      p('-s, --summary\nPrint summary statistics.'),
    ]);
  });
});

describe('plainText: other reference text', () => {
  it('reads --help output: one entry per option, continuation lines joined', () => {
    const help = `Usage: frob [OPTION]... [FILE]...
Frob each FILE to standard output.

Mandatory arguments to long options are mandatory for short options too.
  -b, --bytes=LIST        frob only these bytes
  -f, --fields=LIST       frob only these fields;  also print any line
                            that contains no delimiter character
      --help     display this help and exit
`;
    expect(blocksOf(help)).toEqual([
      p('Usage: frob [OPTION]... [FILE]...\nFrob each FILE to standard output.'),
      p('Mandatory arguments to long options are mandatory for short options too.'),
      p('-b, --bytes=LIST\nfrob only these bytes'),
      p('-f, --fields=LIST\nfrob only these fields;  also print any line that contains no delimiter character'),
      p('--help\ndisplay this help and exit'),
    ]);
  });

  it('reads setext headings in any text, keeping the paragraphs as they were', () => {
    const notes = 'Frob Guide\n==========\n\nIntro text\nwrapped here.\n\nInstalling\n----------\nRun make.\n';
    expect(blocksOf(notes)).toEqual([
      h(1, 'Frob Guide'),
      p('Intro text\nwrapped here.'),
      h(2, 'Installing'),
      p('Run make.'),
    ]);
  });
});

describe('plainText: prose comes out as before', () => {
  it.each([
    ['a one-paragraph abstract', 'We study the frobbing of files.  Frob levels\nrise with use, and we show why.\n'],
    [
      'paragraphs, indented first lines, lists and a quote',
      `  It was a dark night.  The frobs
were restless.

NOTE
The wind rose.

Steps:
  - open the box
  - take the frob
   1. First step, which is long and
      continues here
* starred item
  continued

    To frob or not to frob,
    that is the question.
`,
    ],
    ['a line of spaces and blank-looking lines', `${' '.repeat(1000)}x\n \n\t\nlast line   `],
  ])('%s', (_name, text) => {
    expect(blocksOf(text)).toEqual(paragraphsAsBefore(text));
  });

  it('matches the paragraphs extractText always gave', () => {
    expect(blocksOf('First line\nstill first.\n\n\nSecond.\n  \nThird.')).toEqual([
      p('First line\nstill first.'),
      p('Second.'),
      p('Third.'),
    ]);
  });
});

describe('plainText: hostile text is read in linear time', () => {
  const N = 200_000;

  it('a 200 KB line of spaces', () => {
    expect(blocksOf(`${' '.repeat(N)}x`)).toEqual([p('x')]);
    expect(blocksOf(`NAME\n       frob\n\n${' '.repeat(N)}\n       -a  ${' '.repeat(N)}b\n`)).toEqual([
      h(1, 'NAME'),
      p('frob'),
      p('-a\nb'),
    ]);
  });

  it('a 200 KB line of dashes, alone or as an underline', () => {
    const dashes = '-'.repeat(N);
    expect(blocksOf(dashes)).toEqual([p(dashes)]);
    expect(blocksOf(`Title\n${dashes}\n\nBody.`)).toEqual([h(2, 'Title'), p('Body.')]);
    expect(blocksOf(`NAME\n       frob\n\n       ${dashes}\n`)).toEqual([h(1, 'NAME'), p('frob'), p(dashes)]);
  });

  it('a long run of option lines with no description, and a staircase of indents', () => {
    const run = blocksOf(`NAME\n${'   -a\n'.repeat(N / 2)}`);
    expect(run).toHaveLength(2);
    expect(run[1].text).toBe(
      Array(N / 2)
        .fill('-a')
        .join(' '),
    );
    const stairs = Array.from({ length: N / 10 }, (_, i) => `${' '.repeat(1 + (i % 100))}-x`).join('\n');
    expect(blocksOf(stairs).map((b) => b.text.split('\n')[0])).toEqual(Array(N / 10 / 100).fill('-x'));
  });
});

describe('GNU NEWS outlines', () => {
  it('a release line and its subsections are headings, so entries keep their release as section', () => {
    const news = [
      'Frobutils NEWS                    -*- outline -*-',
      '',
      '* Noteworthy changes in release 3.8 (2021-08-01) [stable]',
      '',
      '** Bug fixes',
      '',
      'frob no longer treats negative option values',
      'as huge positive numbers.',
      '',
      '* Noteworthy changes in release 3.7 (2018-12-31) [stable]',
      '',
      'Nothing changed.',
    ].join('\n');
    expect(blocksOf(news)).toEqual([
      p('Frobutils NEWS                    -*- outline -*-'),
      h(1, 'Noteworthy changes in release 3.8 (2021-08-01) [stable]'),
      h(2, 'Bug fixes'),
      p('frob no longer treats negative option values\nas huge positive numbers.'),
      h(1, 'Noteworthy changes in release 3.7 (2018-12-31) [stable]'),
      p('Nothing changed.'),
    ]);
  });

  it('a starred line that names no release, or ends a sentence, stays text', () => {
    expect(blocksOf('* Use frob with care\n\n* Frob reads files.')).toEqual([
      p('* Use frob with care'),
      p('* Frob reads files.'),
    ]);
  });
});
