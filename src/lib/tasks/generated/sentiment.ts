// sentiment: polarity of reviews, tweets and film phrases. Sub-types: plain, negated ("not
// bad"), contrast (the last clause decides) and invented slang whose polarity only the pool shows.

import { PEOPLE, inventWords } from './lexicon.js';
import { capitalize, withArticle } from './english.js';
import type { Rng } from './rng.js';
import { classify, type TaskGenerator } from './types.js';

const POS = ['excellent', 'wonderful', 'superb', 'lovely', 'great', 'fantastic', 'delightful', 'perfect'];
const NEG = ['awful', 'terrible', 'poor', 'dreadful', 'disappointing', 'mediocre', 'miserable', 'shoddy'];
const ASPECTS = ['food', 'service', 'staff', 'room', 'breakfast', 'music', 'view', 'bed'];

/** Invented slang: `n` positive and `n` negative words for one task's world. */
function slang(world: Rng, n: number): { pos: string[]; neg: string[] } {
  const words = inventWords(world, 2 * n, { syllables: 2 });
  return { pos: words.slice(0, n).map((w) => `${w}y`), neg: words.slice(n).map((w) => `${w}y`) };
}

const REVIEW_LABELS = ['one_star', 'five_stars'];

const reviews: TaskGenerator = {
  name: 'gen_reviews',
  mirrors: 'yelp',
  category: 'sentiment',
  type: 'classification',
  metric: 'accuracy',
  fields: ['text'],
  labels: REVIEW_LABELS,
  description: 'Hotel and restaurant reviews rated one_star or five_stars; sub-types: plain, negated opposites ("not dirty at all"), contrast (the final clause decides) and invented slang.',
  build(world) {
    const words = slang(world, 6);
    return (rng) => {
      const good = rng.chance(0.5);
      const [mine, theirs] = good ? [POS, NEG] : [NEG, POS];
      const [a1, a2, a3] = rng.sample(ASPECTS, 3);
      const kind = rng.int(4);
      let text: string;
      if (kind === 0) text = `The ${a1} was ${rng.pick(mine)}. The ${a2} was ${rng.pick(mine)} too.`;
      else if (kind === 1) text = `The ${a1} was not ${rng.pick(theirs)} at all, and the ${a2} was never ${rng.pick(theirs)} either.`;
      else if (kind === 2) text = `At first the ${a1} seemed ${rng.pick(theirs)}, but in the end the ${a2} and the ${a3} were ${rng.pick(mine)}.`;
      else text = `The ${a1}? ${capitalize(rng.pick(good ? words.pos : words.neg))}. Honestly ${rng.pick(good ? words.pos : words.neg)} all round.`;
      return classify({ text }, REVIEW_LABELS, good ? 'five_stars' : 'one_star');
    };
  },
};

const TWEET_LABELS = ['sad', 'happy'];
const HAPPY_EVENTS = ['got the job', 'passed my driving test', 'found my lost keys', 'won the raffle', 'finished the marathon', 'saw the northern lights',
  'got tickets for the concert', 'adopted a puppy'];
const SAD_EVENTS = ['missed the last bus', 'lost my wallet', 'failed the exam', 'broke my phone screen', 'got soaked in the rain', 'burnt the dinner',
  'lost the final', 'caught a cold'];
const NEUTRAL_EVENTS = ['went to the shop', 'took the train to work', 'watched the news', 'had a sandwich for lunch', 'called my aunt', 'walked to the library', 'read the paper'];
const WHEN = ['today', 'tonight', 'this morning', 'again'];

const tweets: TaskGenerator = {
  name: 'gen_tweets',
  mirrors: 'sentiment140',
  category: 'sentiment',
  type: 'classification',
  metric: 'accuracy',
  fields: ['text'],
  labels: TWEET_LABELS,
  description: 'Short tweets labelled happy or sad; the mood comes from the event, from an emoticon, or only from an invented hashtag on an otherwise neutral tweet.',
  build(world) {
    const tags = slang(world, 5);
    return (rng) => {
      const happy = rng.chance(0.5);
      const who = `@${rng.pick(PEOPLE).toLowerCase()}`;
      const kind = rng.int(3);
      let text: string;
      if (kind === 0) text = `${who} just ${rng.pick(happy ? HAPPY_EVENTS : SAD_EVENTS)} ${rng.pick(WHEN)}${happy ? '!!' : '...'}`;
      else if (kind === 1) text = `${who} ${rng.pick(NEUTRAL_EVENTS)} ${rng.pick(WHEN)} ${happy ? rng.pick([':)', ':D', '<3']) : rng.pick([':(', ":'(", '-_-'])}`;
      else text = `${rng.chance(0.5) ? who + ' ' : ''}${rng.pick(NEUTRAL_EVENTS)} ${rng.pick(WHEN)} #${rng.pick(happy ? tags.pos : tags.neg)}`;
      return classify({ text }, TWEET_LABELS, happy ? 'happy' : 'sad');
    };
  },
};

const FILM_LABELS = ['neg', 'pos'];
const FILM_POS = ['gripping', 'witty', 'moving', 'dazzling', 'tender', 'sharp', 'heartfelt'];
const FILM_NEG = ['tedious', 'clumsy', 'bloated', 'lifeless', 'shallow', 'muddled', 'predictable'];
const FILM_NOUNS = ['thriller', 'comedy', 'drama', 'performance', 'script', 'ending', 'soundtrack', 'sequel',
  'western', 'musical', 'documentary', 'remake', 'debut', 'romance'];
const DEGREE = ['', '', 'truly ', 'rather ', 'remarkably ', 'oddly '];

const filmPhrases: TaskGenerator = {
  name: 'gen_film_phrases',
  mirrors: 'sst2',
  category: 'sentiment',
  type: 'classification',
  metric: 'accuracy',
  fields: ['sentence'],
  labels: FILM_LABELS,
  description: 'Film-review phrases labelled pos or neg; sub-types: adjective pairs, negation ("never tedious"), a contrast where the second half decides, and critic slang.',
  build(world) {
    const words = slang(world, 5);
    return (rng) => {
      const good = rng.chance(0.5);
      const [mine, theirs] = good ? [FILM_POS, FILM_NEG] : [FILM_NEG, FILM_POS];
      const noun = rng.pick(FILM_NOUNS);
      const kind = rng.int(4);
      let sentence: string;
      if (kind === 0) {
        const [x, y] = rng.sample(mine, 2);
        sentence = `${withArticle(`${rng.pick(DEGREE)}${x}`)} and ${y} ${noun}`;
      } else if (kind === 1) sentence = `a ${noun} that is never ${rng.pick(DEGREE)}${rng.pick(theirs)}`;
      else if (kind === 2) sentence = `${rng.pick(theirs)} in places , but the ${noun} is ${rng.pick(DEGREE)}${rng.pick(mine)}`;
      else sentence = `a thoroughly ${rng.pick(good ? words.pos : words.neg)} ${noun}`;
      return classify({ sentence }, FILM_LABELS, good ? 'pos' : 'neg');
    };
  },
};

export const SENTIMENT: TaskGenerator[] = [reviews, tweets, filmPhrases];
