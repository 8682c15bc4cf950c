"""Functional template families: one capability of a hate and incivility detector per family.

`training/templates.py` covers UK political intimidation; these families cover the functional
contrasts a detector needs to tell hate from its look-alikes: derogation against its negation,
dehumanisation against counter-speech that quotes it, slurs against reclaimed and homonym uses,
hateful against benign profanity, abuse of a person against abuse of an object or a policy,
hate phrased as a question, an opinion or by pronoun reference against the same frames used
kindly, threats against a group, and name-calling aimed at a politician (incivility) against
robust criticism of their record.

Families reuse `Family` and `fill` from `training.templates`. The few slots that module has no
list for ({handle}, {beast}, {thing}, {npgroup}, {event}) are filled here first with the same
seeded generator, then `fill` does the rest. Whole templates are held out for the development
split exactly as `templates.generate` does.
"""

from __future__ import annotations

import random
import re

from training import templates
from training.templates import Family, Row, fill

HANDLES = ["JaneMP", "cllr_owen", "PriyaForLeeds", "TomW_MP", "NadiaRahmanMP", "GarethPriceMS",
           "FionaMcLeodMSP", "MarkL_Cllr", "LucyAB4Stroud", "KemiA_MP"]  # fmt: skip
BEASTS = ["rats", "insects", "vermin", "leeches", "apes", "pigs", "a virus", "a swarm", "locusts", "dogs",
          "parasites", "cockroaches", "monkeys", "a disease", "an infestation", "animals", "maggots"]  # fmt: skip
THINGS = ["my phone", "this laptop", "the printer", "the wifi", "this traffic", "the weather", "the trains",
          "this app", "my car", "the bus", "the self-checkout", "the parking meter", "the council website",
          "the referee", "the weekend's result", "this heatwave", "the boiler", "the M6", "my router",
          "the rain"]  # fmt: skip
NONPROTECTED = ["Tory voters", "Labour voters", "Remoaners", "Brexiteers", "Lib Dem voters", "Reform voters",
                "Westminster politicians", "journalists", "landlords", "bankers", "councillors", "MPs",
                "Tory MPs", "Labour MPs", "the Green lot", "civil servants", "the lobby hacks"]  # fmt: skip
EVENTS = ["the match", "the final", "the election night", "the quiz", "the derby", "the count", "the vote",
          "the by-election", "the cup tie", "the bake sale"]  # fmt: skip

_EXTRA = {"handle": HANDLES, "beast": BEASTS, "thing": THINGS, "npgroup": NONPROTECTED, "event": EVENTS}
_EXTRA_RE = re.compile(r"\{(" + "|".join(_EXTRA) + r")\}")

F = Family
H = ("identity_hate",)
TH = ("threat", "identity_hate")
AB = ("abuse",)

FAMILIES: tuple[Family, ...] = (
    # ---------------------------------------------------------------- hateful
    F("fn_derogation", H, (
        "{group} are disgusting", "I despise {group}", "I can't stand {group}", "{group} are revolting",
        "{group} are the worst people on earth", "i fucking hate {group}", "{group} are a stain on this country",
        "Everything about {group} repulses me", "{group} are pathetic and weak", "{group} are thick as pigshit",
        "{group} are worthless", "{group} are all liars and cheats", "{group} are lazy scroungers, every one",
        "Nothing good has ever come from {group}", "{group} are born stupid", "{group} are mentally defective",
        "{group} are beneath contempt", "honestly {group} are just vile", "{group} contribute nothing but misery",
        "{group} are dirty and smell", "{group} are a blight on every town they move to", "My hatred for {group} is endless",
        "{group} are a disgrace to humanity", "Any {singular} is a waste of space", "A {singular} will always be second-rate",
        "{group} are too dumb to be trusted with a vote", "{group} make everywhere worse", "{group} are sick in the head",
        "{group} will never be as good as us", "{group} r disgusting tbh", "{group} are a lower class of person",
        "You can always smell a {singular} before you see one",
    )),
    F("fn_dehumanisation", H, (
        "{group} are {dehuman}", "{group} are {beast}", "{group} are nothing more than {beast}",
        "{group} breed like {beast}", "{group} are not human", "{group} are less than human",
        "A {singular} is an animal, not a person", "{group} are a swarm eating this country alive",
        "{group} are a disease spreading through our towns", "{group} are vermin and should be treated like vermin",
        "Treat {group} like the {beast} they are", "{group} are a plague on Britain", "Every {singular} is a parasite",
        "{group} are just {beast} in clothes", "{group} are sub-human scum", "{group}? {beast}, the lot of them",
        "{group} are {beast}, simple as", "Look at {group}, basically {beast}", "{group} are a cancer that needs cutting out",
        "{group} live like {beast} and act like {beast}", "The {group} round here are {beast}",
        "{group} aren't people, they're {beast}", "{group} are filth crawling out of the sewer",
        "a {singular} has the brain of a rat", "{group} are like {beast}, they multiply and ruin everything",
    )),
    F("fn_implicit_derogation", H, (
        "{group} belong in a zoo", "{group} should go back to living in caves", "{group} should be kept in cages",
        "{group} need to be kept away from normal people", "{group} shouldn't be allowed to have children",
        "{group} should be kept out of our schools", "Keep {group} out of our street", "{group} should not be allowed to vote",
        "{group} don't deserve to live among decent people", "{group} should have to wear a badge so we can spot them",
        "I wouldn't let a {singular} clean my toilets", "A {singular} in charge? Give me a break, they can barely tie their shoes",
        "Having a {singular} as a neighbour lowers house prices", "{group} are only good for cleaning jobs",
        "{group} should be grateful we let them in at all", "Ban {group} from public office",
        "{group} should be sent off to an island somewhere", "No {singular} should be allowed near a classroom",
        "If you hire a {singular} you deserve what you get", "{group} ought to be sterilised",
        "We need a country with zero {group} in it", "This town was nicer before the {group} turned up",
        "{group} should stick to their own kind and stay out of sight", "{group} should be seen and not heard",
        "Put the {group} in camps and be done with it", "{group} don't deserve the same rights as the rest of us",
        "my street was lovely until a {singular} moved in", "{group} are a problem we need to solve",
        "Would you trust a {singular} with your kids? Exactly.", "{group} evolved a bit slower than the rest of us",
        "give {group} the vote and watch the country burn",
    )),
    F("fn_question_hate", H, (
        "Why are {group} so useless?", "Why are {group} always so dirty?", "Why do {group} ruin everything they touch?",
        "Why can't {group} just go away?", "Why are {group} allowed in this country at all?",
        "Why do {group} smell so bad?", "Why is every {singular} a criminal?", "Has anyone ever met a {singular} who wasn't thick?",
        "Why do we even let {group} vote?", "Why are {group} so thick?", "Isn't it obvious that {group} are {dehuman}?",
        "Why are {group} such parasites?", "Wouldn't Britain be better with no {group}?", "why r {group} so disgusting",
        "How are {group} still allowed to breed?", "What is it about {group} that makes them so violent?",
        "Is there a single {singular} that isn't a liar?", "Why do {group} act like animals?",
        "Who actually wants {group} living next door?", "Why should {group} get the same rights as normal people?",
    )),
    F("fn_opinion_hate", H, (
        "I think {group} are inferior", "In my opinion {group} are {dehuman}", "I honestly believe {group} are evil",
        "Personally I think {group} are a disgrace", "I reckon {group} are all scroungers",
        "IMO {group} are the root of every problem we have", "I just think {group} are less intelligent, sorry not sorry",
        "My view is that {group} should be kicked out", "I feel like {group} are ruining this country",
        "Unpopular opinion: {group} are {beast}", "I'm not racist but {group} are filth",
        "Not being funny but {group} are all the same", "Call me old-fashioned but {group} are abnormal",
        "I firmly believe {group} are a danger to children", "I've always thought {group} were subhuman",
        "My honest opinion is that {group} are worthless", "I'd say {group} are the scum of the earth",
        "I think every {singular} is a liability", "hot take: {group} are disgusting", "imo {group} shud all be deported",
    )),
    F("fn_pronoun_hate", H, (
        "I met some {group} yesterday. They are all filth.", "There's a {singular} on my street. They make me sick.",
        "Saw a load of {group} in town today. They're {beast}.", "My new boss is a {singular}. They're all useless.",
        "{group} moved in next door. Can't stand them.", "A {singular} sat next to me on the bus. Disgusting creature.",
        "We've got {group} on our estate now. They should be thrown out.", "I work with {group}. They're {dehuman}, all of them.",
        "{group} keep turning up at the meetings. I wish they'd all just die off.",
        "Watched a documentary about {group}. What a disgusting bunch they are.",
        "My daughter's teacher is a {singular}. I don't want one of them near my kids.",
        "Another {singular} elected. Their kind are ruining parliament.", "Some {group} opened a shop here. Vermin, the lot of them.",
        "There were {group} at the {venue}. They shouldn't even be allowed in.",
        "a {singular} served me at the shop today, honestly they're so thick",
        "Met a {singular} at work. Typical of them, lazy and dishonest.", "{group} again on the news. I hate them so much.",
        "Just walked past a group of {group}. They're a plague.", "Seen some {group} in the park. They're like animals.",
        "My cousin married a {singular}. They're a disease on this family.",
    )),
    F("fn_slur_hateful", H, (
        "Shut up you filthy {slur_race}", "Get out of my country you {slur_race}", "{slur_race}s are ruining this town",
        "No {slur_religion} should be allowed in parliament", "Another {slur_religion} getting elected, great",
        "Typical {slur_orientation}, always whining", "{slur_orientation}s shouldn't be near kids",
        "Look at that {slur_trans} in a dress", "That {slur_trans} needs locking up", "Some {slur_disability} was begging outside Tesco",
        "You useless {slur_disability}", "Dirty {slur_race}s everywhere round here", "bloody {slur_religion}s, the lot of them",
        "What a {slur_orientation}, keep him away from me", "A {slur_trans} shouldn't be allowed in the ladies",
        "Fuck off back home {slur_race}", "He's a {slur_religion}, don't trust him", "She's a {slur_sex} like all women MPs",
        "Bunch of {slur_orientation}s running the council", "{slur_disability}s shouldn't be allowed to vote",
        "Never let a {slur_race} near your daughter", "i hate {slur_trans}s so much", "Spotted a {slur_race} in the village pub, ugh",
        "What do you expect from a {slur_religion}", "The {slur_orientation}s are taking over the BBC",
    )),
    F("fn_profanity_hate", H, (
        "fucking {group} ruin everything", "Fuck all {group}", "{group} are fucking disgusting",
        "I'm sick of these fucking {group}", "Bloody {group} everywhere you look", "{group} can fuck off back where they came from",
        "Shitty {group} taking over", "{group} are a bunch of fucking parasites", "Every fucking {singular} is the same",
        "Fucking hell, more {group} moving in", "{group} are pieces of shit", "God I fucking hate {group}",
        "{group} are shit humans", "Fuck {group} and everyone who defends them", "Goddamn {group} ruining the neighbourhood",
        "Piss off {group}, nobody wants you", "{group} are the shittest people alive", "screw {group}, all of them",
        "Fuck off to every {singular} in this country", "Bastard {group} getting everything handed to them",
    )),
    F("fn_threat_group_direct", TH, (
        "I will kill every {singular} I see", "I'm going to shoot the next {singular} who walks past",
        "I'll burn down every {singular}'s house on my street", "I am going to hurt some {group} tonight",
        "Next {singular} I see gets a {weapon} in the face", "I'll stab any {singular} who comes near me",
        "Me and the lads are going to sort out the {group} this weekend", "I'm coming for the {group} in {place}",
        "I will beat the shit out of any {singular} I meet", "Tonight we burn out the {group} in {place}",
        "I'm going to run over the first {singular} I see", "I swear I'll kill a {singular} one day",
        "We are going to drive the {group} out with {weapon}s", "I'll put a brick through every {singular}'s window",
        "Any {singular} in my pub gets glassed", "I'm going to bomb the {group} centre in {place}",
        "I'll make the {group} round here bleed", "Going hunting for {group} tonight, who's in?",
    )),
    F("fn_threat_group_normative", TH, (
        "{group} should all be shot", "{group} deserve to die", "All {group} should be hanged", "{group} should be gassed",
        "Someone should kill the {group}", "Every {singular} should be beaten in the street", "{group} need exterminating",
        "The only good {singular} is a dead one", "Line the {group} up against a wall", "{group} should be burned alive",
        "It's time someone did something violent about the {group}", "Wipe {group} off the face of the earth",
        "{group} should be drowned in the Channel", "We should take up arms against the {group}",
        "Kill the {group} before they take over", "Let's all go and attack the {group} on {day}",
        "Somebody needs to shoot the {group} coming over", "{group} need a good kicking, every one of them",
        "Hang every {singular} from a lamppost", "Burn down their houses and drive the {group} out",
    )),
    # ------------------------------------------------------------- not hateful
    F("fn_neutral_identity", (), (
        "I have two {group} on my team", "We have a lot of {group} in {place}", "My best mate is a {singular}",
        "I'm a {singular} and I live in {place}", "The survey asked {group} about {policy}", "My GP is a {singular}",
        "Our new {role} is a {singular}", "{group} make up about a tenth of the workforce here",
        "There are {group} in every walk of life", "The report looks at how {policy} affects {group}",
        "A {singular} came to our {venue} to ask about {policy}", "My sister is a {singular}",
        "{group} are one of the groups the census counts", "Lots of {group} live on our road",
        "She's a {singular} who works in finance", "I sat next to a {singular} on the train",
        "{group} have their own charity in {place}", "The panel included three {group}",
        "The council consulted {group} on {policy}", "My landlord is a {singular}",
        "I'm writing a dissertation about {group} in British politics", "Being a {singular} is part of who I am",
        "{group} in {place} are organising a hustings on {day}", "We interviewed {group} for the podcast",
        "{group} vote for every party", "My kids' football coach is a {singular}", "The {singular} who runs the cafe is called Sam",
        "Are there many {group} standing in the election?", "how many {group} are in parliament now?",
        "My neighbour's a {singular}, we chat over the fence", "the {group} at my work are organising a quiz night",
    )),
    F("fn_positive_identity", (), (
        "{group} are welcome here", "proud to be a {singular}", "I love working with {group}", "{group} are brilliant",
        "{group} make this country better", "So grateful for the {group} in my life", "{group} deserve respect",
        "We need more {group} in parliament", "{group} are just as capable as anyone", "Being a {singular} is amazing",
        "Shout out to all the {group} who volunteered at {event}", "{group} have made {place} a better place",
        "I'm so proud of the {group} in our community", "Honestly {group} are some of the kindest people I know",
        "Every {singular} deserves to feel safe", "Love and solidarity to {group} everywhere",
        "{group} belong here as much as anyone", "I think {group} are fantastic", "In my opinion {group} are an asset",
        "Why are {group} so underrated?", "Why don't more people appreciate {group}?", "{group} are valued members of our town",
        "Had the best time at the {group} festival in {place}", "Happy to stand with {group}", "{group} deserve equal rights",
        "I met some {group} yesterday. They were lovely.", "A {singular} moved in next door. They've been so kind.",
        "My colleague is a {singular}. She's the best on the team.", "I voted for a {singular} and I'd do it again",
        "{group} enrich this country", "{group} r the best ngl",
    )),
    F("fn_fact_identity", (), (
        "{group} are more likely to face discrimination at work", "{group} are under-represented in parliament",
        "{group} were hit hardest by {policy}", "Hate crimes against {group} rose last year",
        "{group} face longer waits for housing", "Many {group} in {place} report being harassed online",
        "Studies show {group} are paid less on average", "{group} have lived in Britain for centuries",
        "Research shows {group} are often targeted by trolls", "Figures suggest {group} are more likely to be stopped by police",
        "The charity supports {group} who have been abused", "A new law protects {group} from discrimination",
        "{group} are a protected group under the Equality Act", "The report says {group} are twice as likely to be unemployed",
    )),
    F("fn_negation", (), (
        "I don't hate {group}", "{group} are not {dehuman}", "No {singular} deserves abuse", "{group} aren't {beast}",
        "I would never hurt a {singular}", "Nobody should ever say {group} are inferior", "{group} are not a problem",
        "I have nothing against {group}", "{group} are not the enemy", "It's not true that {group} are lazy",
        "{group} aren't ruining anything", "I don't think {group} are dangerous at all", "{group} are not criminals",
        "No one should want to harm {group}", "I'd never call a {singular} {dehuman}", "{group} are not less than anyone",
        "{group} don't deserve to be treated like this", "I will never stop defending {group}",
        "There's nothing wrong with being a {singular}", "{group} are not to blame for {policy}",
        "I don't think any {singular} should be deported for who they are", "Being a {singular} isn't a crime",
        "{group} are NOT vermin, how is this even a debate", "No, {group} are not stupid", "I don't want any {group} hurt, ever",
        "i dont hate {group} at all lol", "{group} r not the problem, the government is",
    )),
    F("fn_counter_quote", (), (
        "Saying '{group} are {dehuman}' is vile and you should be ashamed", "'{group} are {beast}' - this is disgusting, delete it",
        "Someone just told me '{group} should be shot'. Absolutely sickening.",
        "\"I hate {group}\" is not an opinion, it's bigotry", "If you post '{group} belong in a zoo' you deserve to be banned",
        "Whoever wrote '{group} are filth' on the bus stop needs to be found", "'Death to {group}' is a hate crime, not free speech",
        "'Why are {group} so stupid?' is not a real question, it's hate dressed up",
        "\"I think {group} are inferior\" - no, you're just a bigot", "'The only good {singular} is a dead one'. Reported. Vile.",
        "My timeline is full of '{group} are {dehuman}' posts. Why is this allowed?",
        "Replying to people saying '{group} should go back' with facts. It's exhausting.",
        "'Kill all {group}' trending is a disgrace, the platform needs to act",
        "Just read '{slur_race}s out' graffitied on the underpass. Horrible.", "Someone called my friend a '{slur_orientation}' today. Not okay.",
        "Getting called a '{slur_disability}' at school wrecked my confidence. Don't do it.",
        "Anyone who writes '{group} are a plague' needs to have a long look at themselves",
        "\"{group} are ruining this country\" - no, bigots like you are", "'{slur_trans}' is a slur and you know it",
        "Screenshotting every '{group} are {beast}' reply and sending them to the police",
        "When people say '{group} aren't human' they are laying the groundwork for violence",
        "Saw '{slur_religion}' spray-painted on the mosque. This has to stop.", "Posting 'I despise {group}' is not brave, it's sad",
    )),
    F("fn_counter_reference", (), (
        "Calling {group} {dehuman} is exactly the hate we have to stop", "Comparing {group} to {beast} is dehumanising and dangerous",
        "Telling {group} to go home is racism, plain and simple", "Using slurs about {group} is never acceptable",
        "Threatening {group} is a crime and should be prosecuted", "People who call {group} names online should be ashamed",
        "Spreading hate about {group} makes you the problem", "Blaming {group} for everything is lazy scapegoating",
        "Stop describing {group} as if they were animals", "Wishing harm on {group} is disgusting",
        "The abuse {group} get online is horrific", "It's disgraceful how {group} are spoken about in this thread",
        "Saying that a {singular} is less human is bigotry", "Anyone who hates {group} needs to educate themselves",
        "We must call out hate against {group} wherever we see it", "Dehumanising {group} always ends in violence",
        "Posting slurs about {group} got that account suspended, good", "Hate towards {group} has no place in {place}",
        "If your politics depends on demonising {group}, you've lost the argument",
        "The way {name} was targeted for being a {singular} was appalling", "Mocking a {singular} for who they are is cowardly",
        "Stop saying {group} are all criminals, it's a lie and it's hateful", "Dehumanising language about {group} spreads fast. Report it.",
    )),
    F("fn_counter_report", (), (
        "Someone wrote '{group} are {dehuman}' on my timeline; reported", "Got a DM saying '{group} should die'. Blocked and reported.",
        "Reported a post calling {group} {beast}. Platform says it doesn't break the rules. Unbelievable.",
        "Just reported five accounts for saying '{group} out'", "Police are investigating graffiti calling {group} {dehuman}",
        "A man was convicted for posting that {group} should be shot", "The tribunal heard he called a colleague a '{slur_race}'",
        "Court told defendant shouted '{slur_religion}' at a woman on the bus", "Flagging this thread for the mods: lots of '{group} are filth' replies",
        "The charity logged 300 messages saying {group} are {beast} in one month",
        "Report: abuse calling {group} {dehuman} doubled after the election", "Sending screenshots of the '{slur_orientation}' comments to the school",
    )),
    F("fn_reclaimed", (), (
        "As a queer woman I'm voting for {name}", "Dyke march this Saturday, see you all there", "Queer and proud, always",
        "Proud dyke, proud Labour member", "Us queers know how to throw a party", "The queer book club meets {day}",
        "I'm queer and I'm tired of being a political football", "Queer history month starts next week in {place}",
        "As a bi dyke I found the debate really moving", "Queer joy is resistance", "The queer community in {place} turned out in force",
        "I'm a crip and proud, nothing about us without us", "Proud to be queer in {place}", "Queer youth deserve support",
        "My queer friends and I are canvassing on {day}", "Dykes on Bikes leading the parade this year",
    )),
    F("fn_homonym", (), (
        "I ate faggots and peas for tea", "Faggots and mash at the pub quiz, lovely", "Popping out for a fag, back in five",
        "The dyke along the river needs shoring up", "Bundles of faggots stacked for the bonfire", "Walked the old dyke path along the marsh today",
        "Fire retardant foam was used on the moor fire", "Queer Street is where the council's finances are heading",
        "Cigarette, or a fag as we call them here", "Grab me a fag from the garage, would you",
        "The new flame-retardant sofa arrived", "Mrs Brown's faggots are the best in the county",
    )),
    F("fn_profanity_benign", ("abuse",), (
        "fuck yes, we won", "holy shit that was a great speech", "Fucking hell, what a result in {place}",
        "Shit, I forgot to vote by post", "Bloody brilliant night at {event}", "Damn, that was close",
        "That debate was fucking incredible", "Holy fuck, the turnout is huge", "I'm so fucking happy right now",
        "Well shit, didn't see that coming", "Christ on a bike, what a day", "That was a bloody good {venue}",
        "Fuck me, {event} went to penalties", "Sorry I'm late, the trains are shit today", "Oh shit, is it {day} already?",
        "{name} smashed it, fucking legend", "Fucking love this town", "bloody hell that was close lol",
        "Shit yeah, count me in for {day}", "Damn right I'll be there", "Fuck it, I'm standing for council next year",
        "That was a piss-easy quiz", "Arse, I've missed the bus", "Pissing it down at the count again",
        "Bollocks, I left my umbrella at the {venue}",
    ), soft=0.2),
    F("fn_object_abuse", (), (
        "I hate {thing}", "{thing} is useless", "Honestly {thing} is the worst", "{thing} is a joke today",
        "Done with {thing}, it's hopeless", "{thing} is driving me up the wall", "Ugh, {thing} again",
        "{thing} is an absolute disgrace", "Can't stand {policy}", "{policy} is a pathetic piece of legislation",
        "{policy} is a disaster from start to finish", "The referee was blind all match", "That result was a joke",
        "{policy} is stupid and cruel", "What an awful, pointless bill {policy} is", "The new timetable is garbage",
        "{policy} is the dumbest idea I've heard all year", "The budget is rubbish", "This weather is disgusting",
    )),
    F("fn_object_abuse_sweary", ("abuse",), (
        "this bill is fucking garbage", "my phone is a useless piece of shit", "{thing} is fucking useless",
        "{thing} can go fuck itself", "{policy} is total shite", "{thing} is a steaming pile of crap",
        "Fuck {thing} honestly", "{policy} is bollocks", "{thing} is shit, as usual", "Fuck this weather",
        "{policy} is a fucking disgrace", "This shitty app has crashed again", "{thing} is a load of bollocks today",
        "Absolute shit result at {event}", "Fuck {policy} and the horse it rode in on", "{policy}? What a crock of shit",
        "this fucking printer jams every time", "{thing} is a bastard to use", "Piece of crap {thing}",
        "{policy} is fucking ridiculous",
    ), soft=0.3),
    F("fn_criticism", (), (
        "{name} has been useless on {policy}", "Resign, {name}", "{name} has no idea what they're doing on {policy}",
        "The {role} has let {place} down badly", "{name}'s record on {policy} is shocking",
        "{name} should step aside after that performance", "Completely incompetent handling of {policy}",
        "{name} voted for {policy}. I won't forget it at the ballot box", "Another broken promise from {name}",
        "{name} is out of their depth", "@{handle} you have failed {place} and you know it", "@{handle} answer the question on {policy}",
        "@{handle} resign", "{name} couldn't run a bath, never mind {policy}", "This is the weakest {role} we've had in decades",
        "{name} is totally unfit for office", "@{handle} your constituents deserve better than this",
        "The minister's statement on {policy} was evasive and dishonest", "{name} has been absent for the whole debate",
        "{name}: all soundbites, no delivery", "Shameful vote from {name} on {policy}", "@{handle} you've lost my vote",
        "What has {name} actually done for {place}? Nothing.", "{name} should be sacked", "Incompetent, arrogant and out of touch",
        "@{handle} this is a betrayal of everyone who voted for you",
    )),
    F("fn_sarcasm", (), (
        "Oh well done {name}, another triumph on {policy}", "Genius move on {policy}, truly", "Wow, {name} actually turned up to a vote. Miracles.",
        "Thanks {name}, {policy} has been a roaring success, said no one", "Nice to see {name} has found the chamber at last",
        "Another U-turn! Who could have seen that coming", "Slow clap for the {role}", "@{handle} bold strategy, let's see if it pays off",
        "Great idea, let's cut the buses and then complain about traffic", "Top marks for creativity in those figures, {name}",
        "@{handle} love how you answered a completely different question", "Outstanding work, {name}, you've united the whole town. Against you.",
    )),
    # --------------------------------------------------- personal abuse / incivility
    F("fn_name_calling", AB, (
        "@{handle} you absolute clown", "what a moron", "shut up you lying tw*t", "{name} is a spineless weasel",
        "@{handle} you utter buffoon", "{name} is a complete idiot", "@{handle} you're a joke of a human being",
        "Sit down you pillock", "{name}, you brainless muppet", "@{handle} dimwit", "{name} is a gormless plank",
        "You're an embarrassment, you dozy halfwit", "@{handle} shut your mouth you clown", "{name} is a nasty little toad",
        "What a pathetic little man {name} is", "@{handle} you're a snivelling coward", "{name} is an idiot and a liar",
        "@{handle} you are thick as two short planks", "{name} the lying rat", "@{handle} no one cares what you think, dipshit",
        "{name} is a total numpty", "@{handle} you dense tosser", "{name}: clown. Absolute clown.",
        "@{handle} you sanctimonious prat", "{name} is a brain-dead puppet", "You ignorant fool, {name}",
        "@{handle} ur such a loser", "{name} is a vile hypocrite and a creep", "@{handle} you smug git",
        "@{handle} stupid cow", "{name} you absolute melt", "@{handle} you lying scumbag", "{name} is a grubby little crook",
        "Shut up {name}, you self-important windbag", "@{handle} you are a halfwit and everyone knows it",
        "{name} is a slimy snake", "@{handle} go away you idiot", "@{handle} what an absolute weapon you are",
    )),
    F("fn_vulgar_person", AB, (
        "go fuck yourself {name}", "@{handle} fuck off you prick", "{name} is a massive cunt", "@{handle} eat shit",
        "@{handle} you're a piece of shit", "{name} can kiss my arse", "@{handle} shove your speech up your arse",
        "@{handle} fuck you and your party", "{name} is a cock", "@{handle} suck it, loser", "@{handle} you total bellend",
        "{name} is a shit stain on parliament", "@{handle} up yours", "@{handle} stfu dickhead", "{name} you fucking tool",
        "@{handle} get fucked", "{name}, you knobhead", "@{handle} you arsehole", "{name} is a fucking disgrace of a human",
        "@{handle} ffs shut up you wanker",
    )),
    F("fn_appearance", AB, (
        "@{handle} you look like a melted candle", "{name} has a face like a slapped arse", "@{handle} lose some weight, fatso",
        "{name} looks like a potato in a wig", "@{handle} ugly as sin", "{name}'s face could curdle milk",
        "@{handle} you greasy-haired troll", "@{handle} nobody wants to look at your ugly mug", "{name} is a wrinkly old prune",
        "@{handle} you look like something the cat dragged in", "{name} the fat useless lump", "@{handle} get a haircut you scarecrow",
        "{name} looks like a thumb with a face", "@{handle} absolute state of you, you tramp",
    )),
    F("fn_abuse_nonprotected", AB, (
        "{npgroup} are braindead scum", "all politicians are parasites", "{npgroup} are thick as mud", "{npgroup} are morons",
        "{npgroup} are the scum of the earth", "Every single one of the {npgroup} is a lying rat", "{npgroup} are brain-dead sheep",
        "{npgroup} are fucking idiots", "{npgroup} are gutless cowards", "{npgroup} are a bunch of clowns",
        "{npgroup}: thick, nasty and proud of it", "I can't stand {npgroup}, total cretins", "{npgroup} are knuckle-dragging idiots",
        "{npgroup} are pondlife", "{npgroup} are greedy leeches", "{npgroup} are the dumbest people alive",
        "Honestly {npgroup} are subhuman", "{npgroup} can all get fucked",
    ), soft=0.7),
    # ------------------------------------------------------------ spelling variants
    F("fn_misspelt_hate", H, (
        "{group} are disgustin", "i h8 {group}", "{group} are vermim", "{group} are sub humen", "{group} shuld all be deported",
        "{group} r animals", "fukin {group} everywere", "{group} are discusting", "{group} are infereior",
        "{group} dont deserv to live here", "{group} are parasits", "{group} belong in a zooo",
    )),
    F("fn_misspelt_abuse", AB, (
        "@{handle} u absolut clown", "{name} is a moran", "@{handle} shut up u idoit", "@{handle} ur a lyin tw@t",
        "{name} is a pathetik loser", "@{handle} go f*** urself", "@{handle} u stupd cow", "{name} is a f**king disgrace",
        "@{handle} wat a muppet", "@{handle} ur a c*nt",
    )),
    # Added after model 2.1.0 (not in its weights), last so the dev hold-out above is unchanged: speakers naming
    # their own identity while angry about something else; more negation; more implied contempt.
    F("fn_self_identification", (), (
        "As a {singular}, I think {policy} is {mild}", "Speaking as a {singular}, this government has let us down",
        "I'm a {singular} and I'm sick of {policy}", "As a {singular} myself I'm furious about {policy}",
        "Being a {singular} in {place} isn't easy and {policy} made it worse",
        "{name}, as a fellow {singular}, thank you for speaking up", "I'm a {singular} and proud, and I want answers on {policy}",
        "As a {singular} I'm fed up of politicians ignoring us", "I'm {singular} and I'll be voting against you, {name}",
        "As a {singular} and a lifelong voter, {policy} is a disgrace", "Us {group} are sick of being used as a political football",
        "as a {singular} i'm so tired of this government", "Me and my {singular} friends are angry about {policy}",
    )),
    F("fn_negation_more", (), (
        "I've never said {group} are {dehuman} and I never will", "It's wrong to say {group} are {dehuman}",
        "{group} are not a threat to anyone", "Saying {group} don't belong here is bigotry, plain and simple",
        "There's nothing wrong with being a {singular}", "{group} aren't taking anything from anyone",
        "No, {group} are not all the same", "{group} are not to blame for {policy}",
        "I refuse to hate {group} because a politician tells me to", "Not one {singular} I know is anything like that stereotype",
        "Don't pretend {group} are the problem here", "{group} do not deserve the abuse they get online",
    )),
    F("fn_implicit_more", H, (
        "{group} should stick to what they're good at: nothing", "Imagine letting {group} run a country, lol",
        "{group} and civilisation don't mix", "Never trust a {singular} with money", "A {singular} in charge? Pass the sick bucket",
        "{group} are why we can't have nice things", "Put {group} in charge and watch the place turn into a slum",
        "You can take a {singular} out of the jungle but not the jungle out of the {singular}",
        "Funny how crime goes up wherever {group} move in", "{group} are a drain, always have been",
        "Another {singular} on benefits, what a shock", "{group} breed like rabbits and contribute nothing",
    )),
)


def _prefill(template: str, rng: random.Random) -> str:
    return _EXTRA_RE.sub(lambda m: rng.choice(_EXTRA[m.group(1)]), template)


def fill_functional(template: str, rng: random.Random) -> tuple[str, str | None]:
    """Fill this module's own slots, then the shared ones with `templates.fill`."""
    text, implied = fill(_prefill(template, rng), rng)
    # `fill` may prefix an @handle or a name to any row; for templates that already start with
    # a handle, drop the extra so rows read like real replies.
    text = re.sub(r"^(?:@\w+ |[^@,]+, )(?=@)", "", text)
    return text, implied


def generate(seed: int, per_template: int = 3, dev_fraction: float = 0.15) -> tuple[list[Row], list[Row]]:
    """`templates.generate` over these families: `per_template` fillings, whole templates held out for dev."""
    return templates.generate(seed * 7919 + 1, per_template, dev_fraction, FAMILIES, fill_functional)


def template_count() -> int:
    return sum(len(family.templates) for family in FAMILIES)
