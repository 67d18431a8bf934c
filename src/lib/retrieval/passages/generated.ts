// The built-in generated passage corpus: deterministic by seed, no data files.
//
// A document is about one main entity (its title) within one topic; each of its passages adds a
// new entity in a fact sentence, and the next passage opens with that entity and the fact's place
// again, so a passage's successor is predictable from its content. Documents differ in their main
// entity, topic and entities. A query asks about one fact of one passage, written with the fact's
// entity, place, concept and relation, each concept or relation replaced by its paraphrase some of
// the time (`paraphraseRate`, default 0.6): BM25 finds most answers, but the document's other
// passages (same main entity), the next passage (same new entity) and other documents naming the
// same entity compete, and paraphrased words match nothing. Paraphrases are consistent across the
// corpus, so a retriever trained on the train queries can learn them.
//
// The zero-shot set is drawn from topics of their own (concepts, relations, places), sharing no
// invented word with the in-domain set: a retriever's learned paraphrases do not transfer, as in
// BEIR's zero-shot evaluation.

import { Rng } from '../../tasks/generated/rng.js';
import type { BeirDataset, BeirDocument, BeirQrels, BeirQuery } from '../beir.js';
import { linkChain, type PassageCorpus } from './corpus.js';
import { terms, WordMaker, type Term } from './lexicon.js';

export interface GeneratedCorpusOptions {
  seed: number;
  /** In-domain documents. */
  documents: number;
  passagesPerDocument: number;
  trainQueries: number;
  testQueries: number;
  /** In-domain topics. */
  topics: number;
  /** Documents of the held-out set (0: no zero-shot set). */
  zeroShotDocuments: number;
  zeroShotQueries: number;
  zeroShotTopics: number;
  /** How often a query writes a concept or a relation as its paraphrase (0: never, 1: always). */
  paraphraseRate: number;
}

export const GENERATED_DEFAULTS: GeneratedCorpusOptions = {
  seed: 1, documents: 150, passagesPerDocument: 4, trainQueries: 300, testQueries: 100, topics: 6,
  zeroShotDocuments: 50, zeroShotQueries: 100, zeroShotTopics: 3, paraphraseRate: 0.6,
};

// Names other than the main entities come from a pool half the number of documents, so a name
// recurs in several documents and a query's entity alone does not single out its passage.
const ENTITY_POOL_SHARE = 0.5;

interface Topic {
  name: string;
  concepts: Term[];
  relations: Term[];
  places: string[];
}

/** A fact a query can ask about: the words it is written with. */
interface Fact {
  entity: string;
  relation: Term;
  concept: Term;
  place: string;
}

interface GeneratedPassage extends BeirDocument {
  facts: Fact[];
}

// English words of the templates: invented words never equal them.
const TEMPLATE_WORDS = ['is', 'a', 'of', 'after', 'that', 'met', 'in', 'the', 'near', 'with', 'which', 'what', 'did', 'year', 'where', 'and', 'when'];

const CONCEPTS_PER_TOPIC = 10;
const RELATIONS_PER_TOPIC = 6;
const PLACES_PER_TOPIC = 6;

export function generatePassageCorpus(options: Partial<GeneratedCorpusOptions> = {}): PassageCorpus {
  const o = { ...GENERATED_DEFAULTS, ...options };
  checkSizes(o);
  const rng = new Rng(o.seed >>> 0);
  const maker = new WordMaker(rng, TEMPLATE_WORDS);
  // Topics first, with fixed counts, so the held-out vocabulary does not move with the sizes.
  const inTopics = Array.from({ length: o.topics }, () => makeTopic(maker));
  const outTopics = Array.from({ length: o.zeroShotTopics }, () => makeTopic(maker));
  const inDomain = generateSet(rng, maker, inTopics, o.documents, o.passagesPerDocument, o.paraphraseRate, { train: o.trainQueries, test: o.testQueries }, 'g');
  const corpus: PassageCorpus = { source: 'generated', inDomain, counts: { skippedEmptyPassages: 0 } };
  if (o.zeroShotDocuments > 0) {
    corpus.zeroShot = generateSet(rng, maker, outTopics, o.zeroShotDocuments, o.passagesPerDocument, o.paraphraseRate, { test: o.zeroShotQueries }, 'z');
    corpus.zeroShotCounts = { skippedEmptyPassages: 0 };
  }
  return corpus;
}

function checkSizes(o: GeneratedCorpusOptions): void {
  const positive = ['documents', 'passagesPerDocument', 'topics'] as const;
  for (const k of positive) if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`${k} must be an integer ≥ 1, got ${o[k]}`);
  for (const k of ['trainQueries', 'testQueries', 'zeroShotDocuments', 'zeroShotQueries', 'zeroShotTopics'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0) throw new Error(`${k} must be an integer ≥ 0, got ${o[k]}`);
  }
  if (!(o.paraphraseRate >= 0 && o.paraphraseRate <= 1)) throw new Error(`paraphraseRate must be in [0, 1], got ${o.paraphraseRate}`);
  const passages = o.documents * o.passagesPerDocument;
  if (o.trainQueries + o.testQueries > passages) throw new Error(`${o.trainQueries} train and ${o.testQueries} test queries need as many passages, but ${o.documents} documents of ${o.passagesPerDocument} passages hold ${passages} (a passage is asked about at most once)`);
  if (o.zeroShotDocuments > 0) {
    if (o.zeroShotTopics < 1) throw new Error('a zero-shot set needs zeroShotTopics ≥ 1');
    const held = o.zeroShotDocuments * o.passagesPerDocument;
    if (o.zeroShotQueries > held) throw new Error(`${o.zeroShotQueries} zero-shot queries need as many passages, but the zero-shot set holds ${held}`);
  }
}

function makeTopic(maker: WordMaker): Topic {
  return { name: maker.word(), concepts: terms(maker, CONCEPTS_PER_TOPIC),
    relations: terms(maker, RELATIONS_PER_TOPIC), places: maker.names(PLACES_PER_TOPIC) };
}

/** One BEIR set: documents of passages over `topics`, and queries per split (in split order). */
function generateSet(rng: Rng, maker: WordMaker, topics: readonly Topic[], documents: number,
  perDocument: number, paraphraseRate: number, queriesPerSplit: Record<string, number>, prefix: string): BeirDataset {
  // Main entities are each document's own; the others come from a shared pool, so names recur.
  const mains = maker.names(documents);
  const pool = maker.names(Math.max(perDocument, Math.ceil(documents * ENTITY_POOL_SHARE)));
  const passages: GeneratedPassage[] = [];
  for (let d = 0; d < documents; d++) {
    const topic = topics[d % topics.length]!;
    passages.push(...generateDocument(rng, topic, mains[d]!, rng.sample(pool, perDocument), `${prefix}d${d}`));
  }
  const corpus = new Map<string, BeirDocument>(passages.map((p) => [p.id,
    { id: p.id, title: p.title, text: p.text, doc: p.doc, ...(p.next ? { next: p.next } : {}), metadata: p.metadata }]));
  const queries = new Map<string, BeirQuery>();
  const qrels = new Map<string, BeirQrels>();
  const asked = rng.shuffle(passages);
  let at = 0;
  for (const [split, count] of Object.entries(queriesPerSplit)) {
    const judged: BeirQrels = new Map();
    for (let i = 0; i < count; i++, at++) {
      const passage = asked[at]!; // the options were checked to ask no more queries than there are passages
      const id = `${prefix}q${at}`;
      queries.set(id, { id, text: writeQuery(rng, rng.pick(passage.facts), paraphraseRate), metadata: passage.metadata });
      judged.set(id, new Map([[passage.id, 1]]));
    }
    qrels.set(split, judged);
  }
  return { corpus, queries, qrels };
}

function generateDocument(rng: Rng, topic: Topic, main: string, entities: readonly string[], docId: string): GeneratedPassage[] {
  const kind = rng.pick(topic.concepts).word;
  const home = rng.pick(topic.places);
  const passages: GeneratedPassage[] = [];
  let previous: Fact | undefined;
  entities.forEach((entity, i) => {
    // The new entity's fact, then a fact about the main entity; the next passage opens with this one's.
    const fact: Fact = { entity, relation: rng.pick(topic.relations), concept: rng.pick(topic.concepts), place: rng.pick(topic.places) };
    const mainFact: Fact = { entity: main, relation: rng.pick(topic.relations), concept: rng.pick(topic.concepts), place: rng.pick(topic.places) };
    const year = 1600 + rng.int(400);
    const opening = previous === undefined ? `${main} is a ${kind} of ${home}.` : `After that ${main} met ${previous.entity} in ${previous.place}.`;
    const sentences = [
      opening,
      `${fact.entity} ${fact.relation.word} the ${fact.concept.word} of ${fact.place} in ${year}.`,
      `${main} ${mainFact.relation.word} the ${mainFact.concept.word} near ${mainFact.place} with ${entity}.`,
    ];
    passages.push({ id: `${docId}-p${i}`, title: main, text: sentences.join(' '), doc: docId, facts: [fact, mainFact], metadata: { topic: topic.name } });
    previous = fact;
  });
  linkChain(passages);
  return passages;
}

/** A question about `fact`, its concept and relation each paraphrased with probability `paraphraseRate`. */
function writeQuery(rng: Rng, fact: Fact, paraphraseRate: number): string {
  const concept = rng.chance(paraphraseRate) ? fact.concept.paraphrase : fact.concept.word;
  const relation = rng.chance(paraphraseRate) ? fact.relation.paraphrase : fact.relation.word;
  switch (rng.int(3)) {
    case 0: return `which ${concept} of ${fact.place} did ${fact.entity} ${relation}`;
    case 1: return `what year did ${fact.entity} ${relation} the ${concept}`;
    default: return `where did ${fact.entity} ${relation} a ${concept}`;
  }
}
