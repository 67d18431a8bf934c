// commonsense: everyday cause and effect, routines and goals. Each task has a fixed set of
// scenarios (the latent sub-types); pool examples from the same scenario show the right choice.

import { PEOPLE, pronounOf } from './lexicon.js';
import { capitalize } from './english.js';
import { multipleChoice, type TaskGenerator } from './types.js';

// [domain, cause, effect]; {p} is a person, {s} their pronoun.
const CAUSAL: [string, string, string][] = [
  ['weather', '{p} forgot {x} umbrella on a rainy day.', '{p} got soaked on the way home.'],
  ['weather', 'A storm knocked down the power lines.', 'The street lights went out.'],
  ['weather', 'The pond froze overnight.', 'The children went skating on it.'],
  ['weather', 'The sun shone all afternoon.', 'The laundry on the line dried quickly.'],
  ['kitchen', '{p} left the milk out of the fridge overnight.', 'The milk turned sour.'],
  ['kitchen', '{p} forgot the bread in the oven.', 'The bread came out burnt.'],
  ['kitchen', '{p} added too much salt to the soup.', 'Nobody wanted a second bowl.'],
  ['kitchen', '{p} dropped a glass on the tiles.', 'The glass shattered.'],
  ['school', '{p} studied every evening for a week.', '{p} passed the exam easily.'],
  ['school', '{p} lost {x} library book.', '{p} had to pay a fine.'],
  ['school', '{p} missed the school bus.', '{p} arrived late to class.'],
  ['school', '{p} forgot {x} homework at home.', 'The teacher marked it as missing.'],
  ['health', '{p} ran a marathon.', '{p} was exhausted the next day.'],
  ['health', '{p} ate a spoiled sandwich.', '{p} got a stomach ache.'],
  ['health', '{p} stayed up all night.', '{p} yawned through the morning meeting.'],
  ['health', '{p} twisted {x} ankle on the stairs.', '{p} walked with a limp.'],
  ['home', 'The tap was left running.', 'The sink overflowed.'],
  ['home', '{p} forgot to water the plant for weeks.', 'The plant wilted.'],
  ['home', '{p} left the window open in winter.', 'The room became freezing.'],
  ['home', 'The dog chewed the sofa cushion.', 'Stuffing was scattered across the floor.'],
];

const causeEffect: TaskGenerator = {
  name: 'gen_cause_effect',
  mirrors: 'copa',
  category: 'commonsense',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['premise', 'question'],
  labels: [],
  description: 'Choose the more plausible cause or effect of an everyday event; 20 causal pairs in 5 domains, asked in both directions with people varied, distractors from the same domain.',
  build() {
    return (rng) => {
      const i = rng.int(CAUSAL.length);
      const [domain, cause, effect] = CAUSAL[i]!;
      const p = rng.pick(PEOPLE);
      const fill = (s: string) => s.replaceAll('{p}', p).replaceAll('{x}', pronounOf(p).poss);
      const when = rng.pick(['', '', 'Yesterday, ', 'Last week, ', 'This morning, ', 'On Sunday, ']);
      const lead = (s: string) => (when === '' || s.startsWith(p) ? when + s : when + s.charAt(0).toLowerCase() + s.slice(1));
      const j = rng.pick(CAUSAL.map((_, k) => k).filter((k) => k !== i && CAUSAL[k]![0] === domain));
      const askEffect = rng.chance(0.5);
      return multipleChoice(
        rng,
        { premise: lead(fill(askEffect ? cause : effect)), question: askEffect ? 'effect' : 'cause' },
        fill(askEffect ? effect : cause),
        [fill(askEffect ? CAUSAL[j]![2] : CAUSAL[j]![1])],
      );
    };
  },
};

// Routines as ordered steps (verb phrases for a third-person subject).
const ROUTINES: [string, string[]][] = [
  ['making tea', ['fills the kettle', 'boils the water', 'puts a tea bag in a cup', 'pours the hot water', 'lets the tea steep', 'adds a splash of milk']],
  ['washing a car', ['parks the car in the shade', 'rinses the car with a hose', 'scrubs it with soapy water', 'rinses off the soap', 'dries it with a towel', 'polishes the windows']],
  ['planting a tree', ['chooses a sunny spot', 'digs a deep hole', 'places the sapling in the hole', 'fills the hole with soil', 'presses the soil down', 'waters the tree']],
  ['baking bread', ['mixes flour and yeast', 'kneads the dough', 'leaves the dough to rise', 'shapes a loaf', 'bakes it in a hot oven', 'lets the loaf cool']],
  ['painting a wall', ['moves the furniture away', 'covers the floor with sheets', 'fills the cracks', 'applies a first coat', 'waits for it to dry', 'applies a second coat']],
  ['changing a tyre', ['loosens the wheel nuts', 'jacks up the car', 'removes the flat tyre', 'fits the spare tyre', 'tightens the wheel nuts', 'lowers the car']],
  ['sending a parcel', ['wraps the gift', 'puts it in a box', 'seals the box with tape', 'writes the address on it', 'takes it to the post office', 'pays for the postage']],
  ['cooking pasta', ['boils a pot of water', 'adds salt to the water', 'drops in the pasta', 'stirs it now and then', 'drains the pasta', 'mixes in the sauce']],
  ['washing clothes', ['sorts the laundry', 'loads the machine', 'adds detergent', 'starts the wash cycle', 'hangs the clothes to dry', 'folds the dry clothes']],
  ['packing for a trip', ['checks the weather forecast', 'makes a packing list', 'lays out the clothes', 'packs the suitcase', 'zips it shut', 'weighs the suitcase']],
];

const nextStep: TaskGenerator = {
  name: 'gen_next_step',
  mirrors: 'hellaswag',
  category: 'commonsense',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['context'],
  labels: [],
  description: 'Pick the natural continuation of a routine (ten routines of six steps); distractors are a later step, an earlier step and a step of another routine.',
  build() {
    return (rng) => {
      const r = rng.int(ROUTINES.length);
      const [what, steps] = ROUTINES[r]!;
      const p = rng.pick(PEOPLE);
      const k = rng.range(1, steps.length - 2); // steps shown before the answer
      const shown = steps.slice(0, k).map((s, i) => `${i === 0 ? 'First' : 'Then'} ${pronounOf(p).subj} ${s}.`);
      const context = `${p} is ${what}. ${shown.join(' ')}`;
      const sentence = (s: string) => `${capitalize(pronounOf(p).subj)} ${s}.`;
      const later = rng.pick(steps.slice(k + 1));
      const earlier = rng.pick(steps.slice(0, k));
      const other = rng.pick(ROUTINES[rng.pickOther([...ROUTINES.keys()], r)]![1]);
      return multipleChoice(rng, { context }, sentence(steps[k]!), [sentence(later), sentence(earlier), sentence(other)]);
    };
  },
};

// [goal, right method, two wrong methods]
const GOALS: [string, string, string, string][] = [
  ['loosen a rusty bolt', 'Spray it with oil and turn it with a wrench.', 'Spray it with water and turn it with a spoon.', 'Paint over it and wait a week.'],
  ['keep bread fresh for longer', 'Store it in a sealed bag in a cool place.', 'Store it in an open bowl next to the oven.', 'Wet it slightly every morning.'],
  ['remove a splinter', 'Clean the skin and pull it out with tweezers.', 'Rub the skin hard with sandpaper.', 'Cover it with glue and wait.'],
  ['cool a hot drink quickly', 'Pour it into a wide cup and stir it.', 'Pour it into a thermos and close the lid.', 'Put it on the stove for a minute.'],
  ['stop a door from squeaking', 'Put a few drops of oil on the hinges.', 'Put a few drops of honey on the hinges.', 'Slam the door harder each time.'],
  ['find a lost ring in a carpet', 'Cover the vacuum nozzle with a stocking and vacuum slowly.', 'Vacuum the carpet with an open nozzle and empty the bag outside.', 'Shake the carpet out of the window.'],
  ['dry wet shoes', 'Stuff them with newspaper and leave them in a warm room.', 'Put them in the freezer overnight.', 'Seal them in a plastic bag.'],
  ['open a tight jar lid', 'Run the lid under hot water, then twist it.', 'Run the lid under cold water, then hammer it.', 'Shake the jar upside down.'],
  ['keep cut apples from browning', 'Brush them with lemon juice.', 'Brush them with olive oil and leave them in the sun.', 'Sprinkle them with salt and leave them uncovered.'],
  ['hang a heavy mirror', 'Drill into the wall and use a strong anchor screw.', 'Stick it to the wall with sticky tape.', 'Lean it against the wall on a stool.'],
  ['clean a burnt pan', 'Soak it in hot water with baking soda, then scrub it.', 'Heat it on the stove until the burn disappears.', 'Wipe it once with a dry paper towel.'],
  ['carry eggs home safely', 'Keep them in their carton on top of the bag.', 'Put them at the bottom of the bag under the cans.', 'Carry them loose in a coat pocket.'],
  ['sharpen a dull pencil', 'Turn it in a pencil sharpener.', 'Rub the tip against a soft towel.', 'Dip the tip in water.'],
  ['keep a candle from dripping', 'Chill the candle in the fridge before lighting it.', 'Light it in front of an open window in the wind.', 'Warm the candle in the oven first.'],
  ['get ice cubes out of a tray', 'Twist the tray gently over a bowl.', 'Hit the tray on the floor.', 'Pour boiling water over the tray.'],
  ['keep a bike chain from rusting', 'Clean it and apply chain oil regularly.', 'Leave it wet after each ride.', 'Wrap it in a damp cloth.'],
  ['make a room smell fresh', 'Open the windows and let fresh air in.', 'Close every window and burn toast.', 'Leave the rubbish bin open.'],
  ['thread a needle easily', 'Cut the thread cleanly and wet the tip.', 'Fray the end of the thread first.', 'Use the thickest yarn you can find.'],
];

const goalMethod: TaskGenerator = {
  name: 'gen_goal_method',
  mirrors: 'piqa',
  category: 'commonsense',
  type: 'multiple_choice',
  metric: 'accuracy',
  fields: ['goal'],
  labels: [],
  description: 'Physical know-how: choose the method that achieves a goal (eighteen goals, each with a working and two failing methods, goals phrased seven ways).',
  build() {
    const frames = ['To {g}, what should you do?', 'How do you {g}?', '{p} wants to {g}. What should {s} do?', 'What is a good way to {g}?',
      '{p} needs to {g}. What is the best approach?', 'How should {p} {g}?', 'Asked by {p}: how can I {g}?'];
    return (rng) => {
      const [g, right, ...wrongs] = rng.pick(GOALS);
      const wrong = rng.pick(wrongs);
      const p = rng.pick(PEOPLE);
      const goal = rng.pick(frames).replace('{g}', g).replace('{p}', p).replace('{s}', pronounOf(p).subj);
      return multipleChoice(rng, { goal }, right, [wrong]);
    };
  },
};

export const COMMONSENSE: TaskGenerator[] = [causeEffect, nextStep, goalMethod];
