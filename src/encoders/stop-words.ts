/**
 * The English stop-word list of the static encoder.
 *
 * Written for this project (Apache-2.0, like the rest of the code): English function words
 * (articles, pronouns, auxiliary and modal verbs, prepositions, conjunctions, determiners and
 * common adverbs), lower case, ASCII only, each a whole token of the static tokeniser
 * (`[a-z0-9]+`, so contractions appear as their parts: `don`, `t`, `s`). Words that carry
 * meaning in scientific text are kept: negation and comparison (`not`, `no`, `more`, `less`)
 * matter to claims such as SciFact's, and single letters such as `d` and `m` name things
 * (vitamin D, type M).
 */

const WORDS = `
a an the
i me my mine myself we us our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
this that these those who whom whose which what
am is are was were be been being have has had having do does did doing done
will would shall should can could may might must
of at by for with about against between into through during before after above below
to from up down in out on off over under again further
then once here there when where why how
and but or nor so if because as until while than
all any both each few other some such only own same too very
s t ll re ve don
just also
`;

/** The list as a set, for O(1) look-ups. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(WORDS.trim().split(/\s+/));
