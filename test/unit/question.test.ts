import {
  analyzeQuestion,
  defines,
  holdsKind,
  holdsName,
  isQuestion,
  namesIn,
  statesDefault,
} from '../../lambdas/core/question';

describe('what a question asks for', () => {
  it.each([
    ['How long is the refund window?', 'duration'],
    ['How often does the sealing key change?', 'duration'],
    ['How many days do I have to ask for a refund?', 'duration'],
    ['How many worker processes does it start?', 'quantity'],
    ['Roughly how big is the library?', 'quantity'],
    ['What exit status does frob return when it times out?', 'quantity'],
    ['When was version 2 released?', 'date'],
    ['Which environment variable points frob at another config file?', 'identifier'],
    ['What prefix gets glued onto attribute names?', 'identifier'],
    ['Which release fixed the crash?', 'version'],
    ['Why does `sudo cd /root` fail?', 'reason'],
    ['Can I pass an array to append()?', 'yesno'],
    ['Does frob work around old browser bugs out of the box?', 'yesno'],
    ['How do I stop frob from trimming whitespace?', 'procedure'],
    ['What is frob?', 'definition'],
    ['What happens to jobs in the skipped hour?', 'other'],
    ['Where does frob write its debug messages?', 'place'],
    ['When I cherry-pick, how do I get the note added?', 'procedure'],
    ['If I set TZ in my crontab, will cron use that time zone?', 'yesno'],
    ['My templates are too big. Is there a setting that drops the whitespace?', 'identifier'],
    ['What permissions does adduser give a new home directory?', 'quantity'],
    ['What does frob.load() return on Windows?', 'other'],
    ['What does frobctl print when the queue is empty?', 'other'],
    ['What does the --dry-run flag do?', 'definition'],
    ['What does ETAG mean?', 'definition'],
    ['Which Linux kernel version does Frobix ship with?', 'version'],
  ])('%s → %s', (question, kind) => {
    expect(analyzeQuestion(question).kind).toBe(kind);
  });

  it('reads the question sentence after the context a user gives first', () => {
    const q = analyzeQuestion('My server was off when the timer fired. How long does it wait before it retries?');
    expect(q.kind).toBe('duration');
  });

  it.each([
    ["Which port does it listen on if I don't pass --port?", true],
    ['How wide are lines allowed to get by default?', true],
    ["Which merge strategy does rebase use if I don't pick one?", true],
    ['In which format does it write the certificate unless told otherwise?', true],
    ['How many jobs can run at the same time in the console pool?', false],
  ])('asks for a default: %s → %s', (question, asks) => {
    expect(analyzeQuestion(question).asksDefault).toBe(asks);
  });

  it('finds the noun the answer is a value of', () => {
    expect(analyzeQuestion('Which merge strategy does git rebase use?').focus).toBe('strategy');
    expect(analyzeQuestion('How many log lines does status show?').focus).toBe('lines');
    expect(analyzeQuestion('Why does it fail?').focus).toBeNull();
  });

  it('tells a question from a claim to check', () => {
    expect(isQuestion('How long is the refund window?')).toBe(true);
    expect(isQuestion('does frob support zstd')).toBe(true);
    expect(isQuestion('Vitamin D lowers the risk of stroke.')).toBe(false);
    expect(isQuestion('0-dimensional biomaterials show inductive properties.')).toBe(false);
  });
});

describe('whether text holds an answer of a kind', () => {
  it('a duration needs a number with a unit of time', () => {
    expect(holdsKind('duration', 'Refunds are accepted within 45 days of purchase.')).toBe(true);
    expect(holdsKind('duration', 'Defaults to 15min.')).toBe(true);
    expect(holdsKind('duration', 'Refunds are accepted for unused items.')).toBe(false);
  });

  it('a man-page section reference is not a number', () => {
    expect(holdsKind('quantity', 'before libxslt(3) concludes it is in a loop')).toBe(false);
    expect(holdsKind('quantity', 'The default is 3000.')).toBe(true);
  });

  it('a place is a path, a stream or an address', () => {
    expect(holdsKind('place', 'Output from these statements is sent to stdout.')).toBe(true);
    expect(holdsKind('place', 'The files are copied from /etc/skel.')).toBe(true);
    expect(holdsKind('place', 'It listens on 127.0.0.1:2000.')).toBe(true);
    expect(holdsKind('place', 'The messages are verbose.')).toBe(false);
  });

  it('dates, names and versions', () => {
    expect(holdsKind('date', 'release: 2023-06-10')).toBe(true);
    expect(holdsKind('date', 'released in the summer')).toBe(false);
    expect(holdsKind('identifier', 'set FROB_CONFIG_FILE to the path')).toBe(true);
    expect(holdsKind('identifier', 'set it to the path you want')).toBe(false);
    expect(holdsKind('version', 'fixed in 3.8')).toBe(true);
    expect(holdsKind('version', 'fixed long ago')).toBe(false);
  });

  it('a default set is stronger than a default mentioned', () => {
    expect(statesDefault('Defaults to 15min.')).toBe(2);
    expect(statesDefault('By default, arrays are merged by concatenating them.')).toBe(2);
    expect(statesDefault('If no strategy has been specified, -s ort is used.')).toBe(2);
    expect(statesDefault('This was the default algorithm before 2.0.')).toBe(1);
    expect(statesDefault('Arrays are merged by concatenating them.')).toBe(0);
  });
});

describe('definitions', () => {
  it('names the subject of a definition question, not of a question about a value of it', () => {
    expect(analyzeQuestion('What is minimatch?').subject).toBe('minimatch');
    expect(analyzeQuestion("What's the deprecation ID for the old Buffer() constructor?").subject).toBeNull();
  });

  it('tells a defining sentence from one that names the subject', () => {
    expect(defines('xz', 'xz is a general-purpose data compression tool.')).toBe(true);
    expect(defines('dd', 'dd - convert and copy a file')).toBe(true);
    expect(defines('xz', 'xz, unxz, xzcat - Compress or decompress .xz files')).toBe(true);
    expect(defines('frob', 'frob is not installed by default.')).toBe(false);
    expect(defines('koa', 'Koa provides a Request object.')).toBe(false);
  });
});

describe('the code names a question writes out', () => {
  it.each([
    ["Which separator does frobcut use if I don't give it -d?", ['-d']],
    ['What label does timer.start() use by default?', ['timer.start']],
    ['Does frob write to FROB_LOG_DIR when --quiet is on?', ['frob_log_dir', '--quiet']],
    ['Which kernel does Frobix 24.04 ship with?', ['24.04']],
    ['Can frobStream.pause() be called twice?', ['frobstream.pause']],
    ['How do I make the frob daemon wait for the network?', []],
    ['Does it run on Node.js, e.g. in a worker, or in form-data?', []],
  ])('%s → %j', (question, names) => {
    expect(namesIn(question)).toEqual(names);
    expect(analyzeQuestion(question).names).toEqual(names);
  });

  it('finds an option as a whole word, a call under its arguments, a version as written', () => {
    expect(holdsName(['-d'], '-d, --delimiter=DELIM  use DELIM as the separator')).toBe(true);
    expect(holdsName(['-d'], '--dir=DIR  where to write')).toBe(false);
    expect(holdsName(['-d'], 'frob-d is the daemon')).toBe(false);
    expect(holdsName(['timer.start'], 'timer.start([label]) starts a timer')).toBe(true);
    expect(holdsName(['24.04'], 'version: 24.04; codename: Quiet Quokka')).toBe(true);
    expect(holdsName(['24.04'], 'version: 8.04; codename: Hasty Hare')).toBe(false);
  });
});

describe('a value in text', () => {
  it('is not a bug number', () => {
    expect(holdsKind('quantity', 'This fixes #643559, which asked for the setgid bit.')).toBe(false);
    expect(holdsKind('quantity', 'New home directories get mode 0700.')).toBe(true);
  });
});
