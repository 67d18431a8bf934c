// summarize: email subject lines, news topics and headlines. Each email or story type (the
// latent sub-type) has an idiosyncratic output format that only matching demonstrations show.

import { DAYS, DOCUMENTS, JOBS, PEOPLE, TOPICS, inventWords } from './lexicon.js';
import { capitalize } from './english.js';
import { classify, type TaskGenerator } from './types.js';

const TIMES = ['9am', '10am', '11:30am', '2pm', '3pm', '4:30pm'];
const SYSTEMS = ['mail server', 'payroll system', 'shared drive', 'booking tool', 'intranet'];

const emailSubject: TaskGenerator = {
  name: 'gen_email_subject',
  mirrors: 'aeslc',
  category: 'summarize',
  type: 'generation',
  metric: 'rouge_l',
  fields: ['email_body'],
  labels: [],
  description: 'Write the subject line of a short work email; six email types (meeting, deadline, invoice, outage, thanks, rescheduling), each with its own subject format.',
  build() {
    return (rng) => {
      const [to, from] = rng.sample(PEOPLE, 2);
      const topic = rng.pick(TOPICS);
      const day = rng.pick(DAYS);
      const time = rng.pick(TIMES);
      const kind = rng.int(6);
      let body: string;
      let subject: string;
      if (kind === 0) {
        body = `Hi ${to}, could we meet on ${day} at ${time} to go over the ${topic}? Let me know if that works. ${from}`;
        subject = `Meeting re: ${topic} (${day})`;
      } else if (kind === 1) {
        const doc = rng.pick(DOCUMENTS);
        body = `Hi all, a reminder that the ${doc} is due by ${day}. Please send it to me before noon. Thanks, ${from}`;
        subject = `Reminder: ${doc} due ${day}`;
      } else if (kind === 2) {
        const num = String(rng.range(1000, 9999));
        body = `Dear ${to}, invoice ${num} for the ${topic} is still unpaid. Please arrange payment this week. Regards, ${from}`;
        subject = `Invoice #${num} outstanding`;
      } else if (kind === 3) {
        const system = rng.pick(SYSTEMS);
        body = `Team, the ${system} will be down on ${day} from ${time} for maintenance. Please save your work beforehand. ${from}`;
        subject = `${capitalize(system)} outage ${day} ${time}`;
      } else if (kind === 4) {
        body = `${to}, thank you for all your work on the ${topic}. The client was delighted with it. Best, ${from}`;
        subject = `Thanks - ${topic}`;
      } else {
        const later = rng.pickOther(DAYS, day);
        body = `Everyone, the ${topic} meeting has moved from ${day} to ${later}. Same room, same time. ${from}`;
        subject = `Moved: ${topic} meeting to ${later}`;
      }
      return { fields: { email_body: body }, output: subject, references: [subject] };
    };
  },
};

const TOPIC_LABELS = ['politics', 'games', 'markets', 'science'];

const newsTopic: TaskGenerator = {
  name: 'gen_news_topic',
  mirrors: 'ag_news',
  category: 'summarize',
  type: 'classification',
  metric: 'accuracy',
  fields: ['text'],
  labels: TOPIC_LABELS,
  description: 'Classify a one-sentence news item as politics, games, markets or science (the label words); three story templates per topic with invented names.',
  build(world) {
    const countries = inventWords(world, 10, { proper: true });
    const firms = inventWords(world, 10, { proper: true }).map((w) => `${w} Corp`);
    const labs = inventWords(world, 8, { proper: true }).map((w) => `the ${w} Institute`);
    return (rng) => {
      const label = rng.pick(TOPIC_LABELS);
      const p = rng.pick(PEOPLE);
      const [c1, c2] = rng.sample(countries, 2);
      const n = rng.range(2, 40);
      const stories: Record<string, string[]> = {
        politics: [
          `The parliament of ${c1} passed a new tax bill on ${rng.pick(DAYS)} after a long debate.`,
          `${p}, the foreign minister of ${c1}, signed a border treaty with ${c2}.`,
          `Voters in ${c1} will elect a new president in ${rng.pick(['spring', 'autumn'])}, officials said.`,
        ],
        games: [
          `${c1} beat ${c2} ${rng.range(2, 5)}-${rng.range(0, 1)} to reach the cup final.`,
          `${p} won the ${rng.pick(['marathon', 'tennis open', 'cycling tour'])} in ${c1} for a second year.`,
          `The ${c1} team sacked its coach after ${n} matches without a win.`,
        ],
        markets: [
          `Shares in ${rng.pick(firms)} ${rng.pick(['rose', 'fell'])} ${n} percent after its quarterly results.`,
          `${rng.pick(firms)} agreed to buy ${rng.pick(firms)} for ${n} billion dollars.`,
          `The central bank of ${c1} raised interest rates by ${rng.range(1, 9)} tenths of a point.`,
        ],
        science: [
          `Researchers at ${rng.pick(labs)} discovered a new species of ${rng.pick(['frog', 'beetle', 'orchid', 'fungus'])} in ${c1}.`,
          `A telescope built by ${rng.pick(labs)} spotted ${n} new comets this year.`,
          `${p}, a chemist at ${rng.pick(labs)}, developed a battery that charges in ${n} seconds.`,
        ],
      };
      return classify({ text: rng.pick(stories[label]!) }, TOPIC_LABELS, label);
    };
  },
};

const headline: TaskGenerator = {
  name: 'gen_headline',
  mirrors: 'gigaword',
  category: 'summarize',
  type: 'generation',
  metric: 'rouge_l',
  fields: ['document'],
  labels: [],
  description: 'Write a lower-case headline for a one-sentence news story; four story types (plans, arrests, approvals, awards), each compressed in its own way.',
  build(world) {
    const firms = inventWords(world, 10, { proper: true }).map((w) => `${w} Corp`);
    const cities = inventWords(world, 10, { proper: true });
    const countries = inventWords(world, 8, { proper: true });
    const prizes = inventWords(world, 6, { proper: true, syllables: 2 }).map((w) => `${w} Medal`);
    return (rng) => {
      const kind = rng.int(4);
      const day = rng.pick(DAYS);
      const city = rng.pick(cities);
      const n = rng.range(2, 60);
      let document: string;
      let title: string;
      if (kind === 0) {
        const firm = rng.pick(firms);
        const [verb, things] = rng.pick([['open', 'shops'], ['close', 'factories'], ['build', 'warehouses'], ['cut', 'jobs']]);
        document = `${firm} said on ${day} that it would ${verb} ${n} ${things} in ${city} next year, in a move analysts had expected.`;
        title = `${firm} to ${verb} ${n} ${things} in ${city}`;
      } else if (kind === 1) {
        const event = rng.pick(['brawl', 'protest', 'robbery', 'riot']);
        const place = rng.pick(['stadium', 'market', 'station', 'harbour']);
        document = `Police in ${city} arrested ${n} people on ${day} after a ${event} at the ${place}, a spokesman said.`;
        title = `${n} arrested after ${city} ${event}`;
      } else if (kind === 2) {
        const country = rng.pick(countries);
        const plan = rng.pick(['cut fuel taxes', 'build new railways', 'raise teacher pay', 'ban plastic bags']);
        document = `The government of ${country} approved a plan on ${day} to ${plan}, despite protests from the opposition.`;
        title = `${country} approves plan to ${plan}`;
      } else {
        const job = rng.pick(JOBS);
        const prize = rng.pick(prizes);
        document = `${rng.pick(PEOPLE)}, a ${job} from ${city}, won the ${prize} on ${day} for ${rng.pick(['a lifetime of work', 'services to the community', 'an act of bravery'])}.`;
        title = `${city} ${job} wins ${prize}`;
      }
      const lower = title.toLowerCase();
      return { fields: { document }, output: lower, references: [lower] };
    };
  },
};

export const SUMMARIZE: TaskGenerator[] = [emailSubject, newsTopic, headline];
