declare module 'porter-stemmer' {
  export function stemmer(word: string): string;
}
