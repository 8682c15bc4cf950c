"""Templates for the UK political data the public sets lack.

Each `Family` is a set of templates sharing labels. Slots in braces are filled
from the word lists below with a seeded generator, so the same seed always
writes the same rows. Families cover the failure modes named in issue 3:
threats without profanity, veiled and conditional threats, doxxing joined with
intent, sexual harassment, identity hate per characteristic, personal abuse,
and the things that must be left alone (robust or rude criticism, calls to
resign, sarcasm, counter-speech quoting abuse, news reports, negation,
reclaimed terms, non-violent uses of violent words, public office details).

Whole templates, not just fillers, are held out for the development split, so
the dev figures measure generalisation to new phrasings.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

NAMES = [
    "Sarah Jenkins", "Tom Whitfield", "Priya Sharma", "Cllr Owen", "Dawn Butler-Reid", "Mr Hughes",
    "Angela Moss", "Imran Khalid", "Kemi Adeyemi", "Rachel Green-Hall", "Cllr Murphy", "David Frost-Lane",
    "Jess Phillipson", "Nadia Rahman", "Mark Llewellyn", "Lucy Allan-Bright", "Fiona McLeod", "Gareth Price",
]  # fmt: skip
ROLES = ["MP", "councillor", "candidate", "minister", "mayor", "MSP", "Senedd member"]
PLACES = [
    "Leeds North", "Bolton West", "Canterbury", "Stroud", "Batley", "Southend", "Wrexham", "Bury South",
    "Ipswich", "Hartlepool", "Clacton", "Glasgow East", "Walthamstow", "Redcar", "Truro", "Barnsley",
]  # fmt: skip
VENUES = ["surgery", "constituency office", "hustings", "count", "advice session", "street stall", "Q&A"]
DAYS = ["Friday", "Saturday", "Monday", "polling day", "Thursday night", "Sunday morning", "the weekend"]
FAMILY = ["your kids", "your wife", "your husband", "your daughter", "your son", "your staff", "your family",
          "your mum", "your children", "your partner"]  # fmt: skip
POLICIES = [
    "the housing bill", "the bedroom tax", "HS2", "the bin collection changes", "ULEZ", "the benefits cap",
    "the Brexit deal", "the council tax rise", "the two-child limit", "the Rwanda plan", "net zero",
    "the NHS reforms", "tuition fees", "the LTN scheme", "the library closures", "the winter fuel cut",
    "the green belt development", "the fracking vote", "the pension changes", "the bus cuts",
]  # fmt: skip
WEAPONS = ["knife", "blade", "rope", "brick", "bullet", "gun", "axe", "acid", "petrol", "hammer"]
STREETS = ["Elm Road", "Church Lane", "Victoria Street", "Mill Close", "Station Road", "Park Avenue",
           "Queens Drive", "Beech Grove", "Manor Way", "Kingsway"]  # fmt: skip
SCHOOLS = ["St Mary's Primary", "Oakfield Academy", "Hillside Juniors", "Greenbank High",
           "St Joseph's RC School", "Brookfield Primary"]  # fmt: skip
PARKS = ["Roundhay Park", "the canal towpath", "Victoria Park", "the rec", "the common"]
STATIONS = ["the station", "the bus stop on the high street", "the multi-storey car park", "the Tube"]

INSULTS = [
    "pathetic worm", "disgusting piece of filth", "brain-dead moron", "vile little rat", "worthless parasite",
    "spineless coward", "absolute scumbag", "waste of oxygen", "thick idiot", "lying sack of shit",
    "fat slob", "cretin", "imbecile", "piece of scum", "creep", "fucking idiot", "cunt", "twat", "wanker",
    "prick", "dickhead", "bellend", "snake", "degenerate", "grotesque freak", "braindead clown",
    "useless lump of lard", "sad little man", "nasty old hag", "sewer rat", "dirty liar",
]  # fmt: skip
MILD_RUDE = ["rubbish", "a joke", "a shambles", "a farce", "pathetic", "a disgrace", "utter nonsense",
             "clueless", "a total mess", "laughable", "a car crash", "embarrassing"]  # fmt: skip

# group phrase -> characteristic
GROUPS: dict[str, str] = {
    "black people": "race", "Asians": "race", "brown people": "race", "Chinese people": "race",
    "Muslims": "religion", "Jews": "religion", "Hindus": "religion", "Sikhs": "religion",
    "Catholics": "religion", "women": "sex_gender", "female MPs": "sex_gender",
    "gay people": "sexual_orientation", "lesbians": "sexual_orientation", "bisexuals": "sexual_orientation",
    "gay men": "sexual_orientation", "trans people": "gender_identity", "trans women": "gender_identity",
    "non-binary people": "gender_identity", "disabled people": "disability", "autistic people": "disability",
    "wheelchair users": "disability", "people with learning disabilities": "disability",
    "immigrants": "nationality", "refugees": "nationality", "Poles": "nationality", "Romanians": "nationality",
    "Nigerians": "nationality", "Pakistanis": "nationality", "Gypsies and Travellers": "race",
}  # fmt: skip
SINGULAR: dict[str, str] = {
    "black people": "black woman", "Asians": "Asian", "brown people": "brown person",
    "Chinese people": "Chinese person", "Muslims": "Muslim", "Jews": "Jew", "Hindus": "Hindu",
    "Sikhs": "Sikh", "Catholics": "Catholic", "women": "woman", "female MPs": "woman",
    "gay people": "gay man", "lesbians": "lesbian", "bisexuals": "bisexual", "gay men": "gay man",
    "trans people": "trans woman", "trans women": "trans woman", "non-binary people": "non-binary person",
    "disabled people": "disabled person", "autistic people": "autistic person",
    "wheelchair users": "wheelchair user", "people with learning disabilities": "person with a learning disability",
    "immigrants": "immigrant", "refugees": "refugee", "Poles": "Pole", "Romanians": "Romanian",
    "Nigerians": "Nigerian", "Pakistanis": "Pakistani", "Gypsies and Travellers": "Traveller",
}  # fmt: skip
SLURS: dict[str, str] = {
    "nigger": "race", "paki": "race", "coon": "race", "wog": "race", "chink": "race", "gyppo": "race",
    "raghead": "religion", "muzrat": "religion", "kike": "religion", "towelhead": "religion",
    "faggot": "sexual_orientation", "dyke": "sexual_orientation", "poof": "sexual_orientation",
    "tranny": "gender_identity", "troon": "gender_identity", "shemale": "gender_identity",
    "retard": "disability", "spastic": "disability", "mong": "disability", "spaz": "disability",
    "slag": "sex_gender", "whore": "sex_gender",
}  # fmt: skip
DEHUMANISING = ["vermin", "parasites", "a disease", "animals", "cockroaches", "subhuman", "filth", "a plague",
                "scum", "savages", "a cancer on this country", "rats"]  # fmt: skip
COUNTRIES = ["Pakistan", "Africa", "Poland", "India", "Bangladesh", "Romania", "Jamaica", "where you came from"]


@dataclass(frozen=True, slots=True)
class Family:
    """Templates that share labels. `labels` use the detector's label names."""

    name: str
    labels: tuple[str, ...]
    templates: tuple[str, ...]
    characteristic: str | None = None
    soft: float = 1.0  # target value for the listed labels


F = Family
FAMILIES: tuple[Family, ...] = (
    F("threat_direct", ("threat",), (
        "I am going to kill you {name}", "I will find you and I will hurt you",
        "You won't live to see the next election", "Someone is going to put a {weapon} in you",
        "I know where you live. Be careful.", "Watch your back {name}", "watch your back, {role}",
        "You'll end up like Jo Cox", "Remember what happened to Jo Cox? Think on.",
        "Remember what happened to David Amess", "You're going the same way as Jo Cox",
        "See you at your {venue} on {day}", "We'll be waiting outside your {venue} on {day}",
        "Enjoy your last {day}, {name}", "Your days are numbered", "I'd put a bullet in you and sleep like a baby",
        "You will get what's coming to you", "One day soon you'll get what's coming",
        "Petrol through your letterbox tonight", "Your car brakes might not work tomorrow",
        "You should be very careful walking home alone", "Nice house. Shame if it burned down.",
        "The rope is ready for you {name}", "Traitors like you end up swinging from a lamppost",
        "Hang the traitor", "String {name} up", "Get the rope", "{name} 🔪🔪🔪", "🪢🪢 for {name}",
        "I'll be at the {venue} and I'm bringing something special for you",
        "I'm going to cut you", "I will smash your face in", "I'll break your legs",
        "You're dead {name}", "You are a dead woman walking", "You are a dead man walking",
        "We know which car is yours", "Keep looking over your shoulder", "Sleep with one eye open {name}",
        "It would be a shame if something happened to {family}", "I'll make you suffer",
        "You'll be next", "Your office will burn", "I'm going to come round and sort you out",
        "You won't be smiling when I get hold of you", "There's a {weapon} with your name on it",
        "I'll be waiting for you after the {venue}", "Someone needs to teach you a lesson you won't forget",
        "I hope you die slowly", "I hope someone stabs you", "I hope your plane crashes",
        "Someone should shoot {name}", "Someone should firebomb your office",
        "Whoever gets to {name} first will be a hero", "Bring back hanging for traitors like {name}",
        "Anyone who sees {name} should give her a good kicking", "Let's all go round to {name}'s and show her",
        "People like you get hurt", "{family} won't be safe", "We'll get {family} too",
        "You'd better have security on {day}", "Nobody will find the body", "Kill yourself {name}",
        "Go and hang yourself", "You deserve a bullet", "You deserve to be shot", "I will end you",
        "🔫 {name}", "{name} 💀⚰️", "I'm going to hunt you down", "You have been warned",
        "Last warning, {name}", "This is your final warning",
        # Wishing harm, murdered MPs as a promise, and "in one piece" (fourth session).
        "Jo Cox had it coming and so do you", "David Amess got what he deserved and you're next",
        "What happened to Jo Cox could happen to you, {name}", "Hope you get cancer {name}",
        "I hope you get cancer and die", "Hope {family} catch something nasty and die",
        "Vote for {policy} and you won't make it home in one piece",
        "You won't make it to {day} in one piece", "Hope you've got good life insurance, {name}",
    )),
    F("threat_conditional", ("threat",), (
        "If you vote for {policy} you won't make it home", "Vote for {policy} and see what happens to you",
        "If {policy} goes through, you won't be around to enjoy it",
        "Resign or we will make you regret it", "Do that again and you'll be sorry",
        "If you turn up to the {venue} on {day} you'll leave in an ambulance",
        "Keep pushing {policy} and something will happen to you",
        "Show your face in {place} again and you'll get hurt",
        "Cross us again and {family} will pay", "If I see you in town I'll knock you out",
        "Back {policy} and you'll find out what people here are capable of",
        # Ultimatums, regret, family, "others died for less", leaving on a stretcher: veiled, no violent word.
        "Step down by {day} or we'll step in", "Quit while you still can walk, {name}",
        "Resign or you'll be carried out of {place}", "Drop {policy} or you'll be leaving {place} on a stretcher",
        "Get out of {place} while you still can", "Pack it in now or you'll be going home in an ambulance",
        "Vote for {policy} and you'll live to regret it, {name}", "You'll regret the day you crossed {place}",
        "Keep this up and you'll be very sorry, {role}", "You're going to be so sorry you ever stood here",
        "Mark my words, you'll regret {policy}. Personally.", "You'll be sorry when we catch up with you",
        "You've got {family} to think about. Remember that before you vote", "Think about {family} next time you open your mouth",
        "{family} would miss you if anything happened", "How would {family} cope without you? Think on",
        "Be a shame if {family} had to find out the hard way", "Worry about {family}, not {policy}",
        "Men have hanged for less than what you've done", "{role}s have been stabbed for less than that",
        "People have paid with their lives for less than this, {name}", "In the old days you'd be strung up for {policy}",
        "Better {role}s than you have been buried for less", "Others have been shot for less than your vote on {policy}",
        "The next time you leave {place} it'll be in a body bag", "They'll be carrying you out of the {venue} feet first",
        "You'll leave the {venue} in a coffin", "You'll be going home in a box after {day}",
        "I'll be there on {day}. You'll wish you'd never stood.", "See you {day}. You'll wish you had stayed home.",
        "We'll be there on {day} and you will regret it", "Enjoy {day}, {name}. It might be your last.",
    )),
    F("threat_group", ("threat", "identity_hate"), (
        "We should kill all {group}", "{group} should be shot", "I want to hurt every {singular} I see",
        "Time to burn down their mosque", "{group} should be hanged", "Round up the {group} and get rid of them",
        "I'm going to stab the next {singular} I see", "All {group} deserve a bullet",
        "Someone should bomb the {group}", "{group} need to be wiped out",
        "I'll kill any {singular} who comes near my street", "Death to {group}",
    )),
    F("sexual_harassment", ("sexual_harassment",), (
        "I'd rape you {name}", "Someone should rape that woman", "You need a good seeing-to",
        "Send nudes {name}", "I'd bend you over the dispatch box", "What knickers are you wearing in the chamber",
        "I want to see you naked", "Nice tits for an MP", "Get your tits out for the lads {name}",
        "You deserve to be raped", "I hope you get raped", "I'll show you what a real man does to women like you",
        "Sit on my face", "I dream about you tied up", "I'm going to make you my toy",
        "Bet you're filthy in bed", "Come round and I'll give you something to moan about",
        "You'd look better on your knees", "I wanked over your photo", "Show us your arse {name}",
        "I'll rape your daughter", "Gang rape is too good for you", "I'd grope you at the {venue}",
        "Suck my dick {name}", "I want to cum on your face", "The only thing you're good for is sex",
    )),
    F("identity_person_race", ("identity_hate",), (
        "Go back to {country}, you don't belong in our parliament",
        "You only got elected because you're black", "A {slur_race} in parliament, disgusting",
        "Your kind are ruining this country", "Send her back to {country}", "No brown MP will ever represent me",
        "Shut up you {slur_race}", "{name} is a {slur_race}",
    ), "race"),
    F("identity_person_religion", ("identity_hate",), (
        "No Muslim should ever be an MP", "Take your Sharia law back home {name}",
        "{name} is a {slur_religion}", "Jews like you control everything", "Terrorist sympathiser, like all your lot",
        "Go pray in your mosque and stay out of politics",
    ), "religion"),
    F("identity_person_gender", ("identity_hate",), (
        "Women don't belong in politics, get back in the kitchen", "Stupid woman, know your place",
        "{name} is a {slur_sex}", "Typical hysterical woman, shouldn't be allowed to vote",
        "Females shouldn't be in charge of anything", "Go and make a sandwich love, leave politics to men",
    ), "sex_gender"),
    F("identity_person_lgbt", ("identity_hate",), (
        "A {slur_orientation} like you shouldn't be near children", "Gay MPs are a disgrace to the country",
        "{name} is a {slur_orientation}", "Homos like you are an abomination",
    ), "sexual_orientation"),
    F("identity_person_trans", ("identity_hate",), (
        "You're a man in a dress, {slur_trans}", "{name} is a {slur_trans}", "Trans freaks like you are mentally ill",
        "You'll never be a real woman",
    ), "gender_identity"),
    F("identity_person_disability", ("identity_hate",), (
        "Shut up you {slur_disability}", "{name} is a {slur_disability}", "Cripples shouldn't be MPs",
        "Are you retarded or just a {slur_disability}?",
    ), "disability"),
    F("identity_group", ("identity_hate",), (
        "{group} are {dehuman}", "I hate {group}", "{group} are all criminals", "All {group} should be deported",
        "{group} are disgusting", "The world would be better without {group}", "{group} can't be trusted",
        "{group} should not have rights", "Never vote for {group}", "Why are {group} so stupid?",
        "I think {group} are {dehuman}", "{group} are a burden on society", "{group} are ruining Britain",
        "Honestly, {group} make me sick", "{group} are inferior", "{group} are all the same, lazy and thick",
        "There are too many {group} in this country", "{group} should go back where they came from",
        "Typical {singular}, always causing trouble", "Any {singular} is a danger to our kids",
        "Don't let a {singular} anywhere near parliament", "{group} belong in a zoo",
        "{group} are nothing but {dehuman}", "You can't trust a {singular}",
    )),
    F("abuse", ("abuse",), (
        "You are a {insult}", "{name} is a {insult}", "Shut up you {insult}", "Nobody likes you, you {insult}",
        "You ugly fat cow", "You make me sick, you disgusting creature", "You're a waste of space {name}",
        "Go die in a hole", "Fuck off {name}, you {insult}", "What a {insult} you are", "{name}, you absolute {insult}",
        "You {insult}, everyone laughs at you behind your back", "Crawl back under your rock you {insult}",
        "You're a vile excuse for a human being", "Nobody would miss you if you disappeared",
        "You repulsive {insult}", "Get off my timeline you {insult}", "You are the scum of the earth",
        "Your face makes me want to vomit", "You are subhuman garbage", "Thick as mince, {name}. {insult}.",
        "Eat shit {name}", "Go fuck yourself", "You're a disgrace to the human race",
    )),
    F("doxxing", ("doxxing",), (
        "{name} lives at {number} {street}, {postcode}. Pay her a visit.",
        "Here's {name}'s home address: {number} {street} {postcode}. You know what to do.",
        "{possessive} kids go to {school}, pick-up is at 3:15", "{name} walks the dog in {park} every morning at 7, alone",
        "He leaves the {venue} at 6pm every night and walks to {station} on his own",
        "His mobile is 07{digits}. Everyone ring him day and night",
        "Found where the councillor lives: {number} {street}. Let's give him a visit",
        "{possessive} daughter is at {school}, year 6. Worth knowing.",
        "Car reg {reg}, parks on {street} every night", "Her home postcode is {postcode}, spread it far and wide",
        "I'm going to post your home address online", "I've got your address and I'll share it with everyone",
        "Everyone, {name}'s personal number is 07{digits}", "{name}'s house is the blue door at {number} {street}",
        "Her husband works at the Tesco on {street}, go and have a word", "We know your kids go to {school}",
        "Your address will be all over the internet by tonight", "{name} goes to the gym on {street} at 6am alone",
        "{possessive} home: {number} {street}, {postcode}. Pass it on.",
        "I followed {name} home, she lives off {street}, {postcode}",
    )),
    F("doxxing_threat", ("doxxing", "threat"), (
        "{number} {street}, {postcode}. See you tonight {name}.", "We know where your kids go to school. {school}. Be careful.",
        "I know you live at {number} {street}. I'll be round.", "{postcode}. Sleep well {name}.",
    )),
    # Rude, angry, vulgar criticism of conduct or policy: uncivil in tone but not abuse of the
    # person. A small soft target keeps it ranked above polite criticism without being flagged.
    F("rude_criticism", ("abuse",), (
        "This {policy} is fucking ridiculous", "What a shit decision on {policy}", "Bloody disgraceful vote on {policy}",
        "{policy} is complete bollocks and you know it", "What a load of crap from the minister today",
        "Absolute shitshow of a government", "Pull your finger out and fix {policy} for fuck's sake",
        "Damn right we're angry about {policy}", "Your party is a fucking joke", "Piss-poor performance in the debate",
    ), soft=0.35),
    F("criticism", (), (
        "{policy} is a disaster and {name} should be ashamed", "Your vote on {policy} was a betrayal of {place}",
        "{name} has failed {place}. Resign.", "You are useless at your job, step down",
        "Worst {role} this town has ever had. Vote them out.", "This government is incompetent and corrupt",
        "Absolute shambles of a budget", "Total clown show in parliament today", "You lied about {policy} and you know it",
        "Dishonest, out of touch and arrogant. Resign.", "I hope you lose your seat at the next election",
        "We will vote you out in May", "I'll be campaigning against you every day until {day}",
        "Your political career is dead after {policy}", "{policy} will kill the high street",
        "{policy} is killing our pubs", "Time to take out the Tories at the ballot box", "Let's destroy them at the polls",
        "Bury {policy} for good", "Resign now {name}", "{name} must go", "You should be ashamed of yourself over {policy}",
        "{policy} is {mild}", "Your speech on {policy} was {mild}", "Oh brilliant, another U-turn. Well done {name}.",
        "Great job {name}, you've managed to annoy every single voter in {place}",
        "Sure, {policy} will fix everything. Pull the other one.", "You have zero credibility left on {policy}",
        "Why should anyone believe a word you say about {policy}?", "Clueless. Absolutely clueless.",
        "You are a hypocrite on {policy}", "Your record on {policy} is a disgrace", "Stop lying to {place}",
        "Answer the question {name}!", "You've abandoned the people who voted for you",
        "We're coming for your seat at the next election", "You're finished in {place}", "Get out of office",
        "Nobody in {place} will ever vote for you again", "You're a coward for dodging the vote on {policy}",
        "Spineless leadership on {policy}", "You're a disgrace of a {role} and you should resign",
        "I'll be at your {venue} on {day} to demand answers on {policy}",
        "Come to the {venue} on {day} and explain {policy} to us", "{name} should be sacked over {policy}",
        "Corrupt to the core, this lot", "Another Tory crook", "Labour have ruined this city",
        "The Lib Dems are a waste of a vote", "Reform are a bunch of grifters", "The SNP have wrecked our schools",
        # Political consequences phrased like ultimatums: the ballot box, not harm.
        "Back {policy} and you'll regret it at the ballot box", "Resign or we'll vote you out in May",
        "Keep this up and you'll lose your seat, {name}", "Step down by {day} or face a no-confidence vote",
        "You'll be sorry when the results come in", "Think of your constituents before you vote for {policy}",
        "Think about the families in {place} before you cut {policy}", "The voters will bury you on {day}",
        "Your career won't survive {policy}", "You'll be out on your ear after the election",
        "{name} will regret this U-turn when the votes are counted", "Drop {policy} or lose {place} for good",
        # "Kill" said of towns, trades and jobs, not people (fourth session).
        "Supermarket closures will kill the high street", "Business rates are killing small shops in {place}",
        "These parking charges will kill {place} town centre", "Online shopping is killing our market towns",
        "{policy} will kill off what's left of local industry", "Rising rents are killing the arts in {place}",
    )),
    F("support", (), (
        "Thank you {name} for everything you do for {place}", "Great speech in the chamber today {name}",
        "{name} helped my family with our housing case, brilliant {role}", "Proud to vote for you {name}",
        "Well done on {policy}, about time", "Keep going {name}, most of us are behind you",
        "Good luck on {day}!", "Knock 'em dead at the {venue} tonight", "You killed it in that debate",
        "Break a leg at the {venue}", "Sending love to {family}, stay strong", "You smashed it today {name}",
    )),
    F("counter_speech", (), (
        "Calling {name} a '{insult}' is not okay", "Saying '{group} are {dehuman}' is disgusting and you should be ashamed",
        "Nobody should receive messages like 'I will kill you'. Solidarity with {name}",
        "The abuse {name} gets, 'go back home' and worse, is vile", "If you think {group} are criminals, you're the problem",
        "I can't believe someone told her 'you'll end up like Jo Cox'. Reported to the police.",
        "Telling a {role} to 'watch your back' is a threat, not debate. Stop it.",
        "People calling her a {slur_sex} should be banned", "Using the word '{slur_race}' is never acceptable",
        "Anyone who says '{group} should be deported' needs to look in the mirror",
        "'Hang the traitor' is not political debate, it's incitement, and it must stop",
        "Disgusted that someone posted {name}'s home address. Reported.",
        "Threatening {family} is beyond the pale. Disagree on {policy}, but leave families out of it.",
        "Quoting the tweet so people can see what women MPs put up with: 'I hope you get raped'. Vile.",
        "Stop calling disabled people '{slur_disability}'. It's cruel.",
        "We stand with our {group} neighbours against hate",
    )),
    F("news", (), (
        "Police are investigating after {name} {role} received death threats",
        "A man has been charged with sending threatening messages to a {place} {role}",
        "{name} said she had been told 'watch your back' at a hustings",
        "Court hears defendant threatened to kill the {role} for {place}",
        "The {role}'s constituency office was vandalised last night; police appeal for witnesses",
        "Report finds most female MPs have received online abuse", "A man was jailed for threatening to behead an MP",
        "Police have stepped up security at {venue}s after the attack", "MPs debate new laws on intimidation of candidates",
        "{name} reported racist abuse to the police after the {venue}",
        "The Jo Cox Foundation is marking the anniversary of her murder",
        "A woman was arrested for posting a councillor's address online",
    )),
    F("negation", (), (
        "I would never threaten anyone, but I'm furious about {policy}", "I don't hate {group}",
        "{group} are not {dehuman}, they're our neighbours", "No one should hurt {name}",
        "I'm not going to hurt you, I'm going to vote against you", "I don't wish harm on anyone, even {name}",
        "I would never call {name} a {insult}, but the vote on {policy} was wrong",
        "Nobody is saying {group} are criminals", "I'm not saying you should be hurt, I'm saying you should resign",
        "{group} are no worse than anyone else", "I'd never want anything bad to happen to {family}",
    )),
    F("identity_neutral", (), (
        "{group} celebrate all kinds of festivals in {place}", "I am a proud {singular}",
        "As a {singular} I think {policy} is wrong", "My neighbours are {group} and they're lovely",
        "{group} deserve the same rights as everyone else", "{group} are welcome here",
        "The {role} met {group} from {place} to discuss {policy}", "More {group} should stand for parliament",
        "As a queer woman I loved this speech", "We're here, we're queer, and we vote", "Proud dyke, proud voter",
        "Us queers have been fighting for this for years", "I'm a disabled voter and {policy} affects me directly",
    )),
    # Swearing with no target: not abuse, but uncivil in tone; a soft target below any threshold ranks
    # it above clean text (OLID's untargeted profanity is 0.4), so "fuck yes" is never a zero.
    F("profanity_benign", ("abuse",), (
        "Fucking brilliant speech tonight {name}", "Holy shit, what a result in {place}!", "Bloody hell, you actually did it",
        "That was a damn good debate", "Fuck yes, {policy} is finally scrapped", "This heat is killing me at the count",
        "I'm so fucking proud of our {role}", "Shit, I missed the {venue}, was it good?",
    ), soft=0.2),
    F("object_abuse", (), (
        "I hate this bloody printer", "This stupid app keeps crashing", "The council website is a useless pile of junk",
        "The parking machines are a fucking joke", "Roadworks on {street} are an absolute nightmare",
    )),
    F("homonyms", (), (
        "Nipped out for a fag before the count", "The old dyke along the fens needs repair money",
        "Bundle of faggots for the bonfire night display", "The retardant on the moor fires worked",
        "Queer Street is where the council finances are heading", "We had faggots and peas at the community lunch",
    )),
    # Insults aimed at parties or politicians as a class, not at a person: uncivil, not personal abuse.
    F("group_nonprotected", ("abuse",), (
        "Tories are scum", "Politicians are all crooks and liars", "Labour are a bunch of useless clowns",
        "Every MP in Westminster is a parasite", "Councillors are thieving idiots, the lot of them",
        "The Lib Dems are spineless weasels",
    ), soft=0.35),
    F("public_info", (), (
        "{name}'s {venue} is at the library on {day}s 10-12, all welcome",
        "The constituency office is at {number} High Street, open Monday to Friday",
        "Polling station at St John's church hall, open 7am to 10pm", "Hustings at {school} hall on {day}, 7pm, all welcome",
        "Meet {name} at the {venue} on {day}, bring your questions about {policy}",
        "Our office phone line is open 9 to 5 for constituents", "The count is at the leisure centre from 10pm",
    )),
    # Days, venues and "behind you" in friendly messages and campaign logistics: the same surface
    # words as the veiled threats, with the benign purpose stated, so a day or a venue is not a cue.
    F("support_logistics", (), (
        "We're right behind you {name}", "Keep going, we're all behind you", "The whole of {place} is behind you",
        "Good luck on {day}, {name}", "Best of luck for {day}, you deserve it", "Have a great {day}, {role}",
        "Enjoy {day} off, you've earned it", "Enjoy your last {day} before the campaign madness starts",
        "See you at the {venue} on {day}, I'll bring the leaflets", "See you {day} for the leafleting in {place}",
        "Looking forward to the {venue} on {day}, I have questions about {policy}",
        "I'll be at the {venue} on {day} to help set up the chairs", "Can't wait for the {venue} on {day}!",
        "Count me in for door-knocking on {day}", "Lovely to see you at the {venue} on {day}, {name}",
        "Will you be at the {venue} on {day}? I'd like to ask about {policy}",
        "We'll be waiting at the {venue} with tea and biscuits", "Thanks for visiting {school} on {day}",
        "I'll see you at the count on {day}, fingers crossed", "Meet you outside the {venue} on {day} with the banners",
        "Your {venue} on {day} was really helpful, thank you", "We'll be outside {station} on {day} handing out leaflets",
        "Hope {family} enjoyed the fete on {day}", "Rest up this {day}, big week ahead",
    )),
)


def _postcode(rng: random.Random) -> str:
    area = rng.choice(["LS", "M", "B", "SW", "E", "N", "BS", "CF", "G", "NE", "L", "S", "CT", "IP", "HX"])
    return f"{area}{rng.randint(1, 28)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _slur(rng: random.Random, characteristic: str) -> str:
    return rng.choice([slur for slur, ch in SLURS.items() if ch == characteristic])


def fill(template: str, rng: random.Random) -> tuple[str, str | None]:
    """Fill a template's slots; returns the text and the characteristic a group slot implied."""
    characteristic: list[str] = []
    group = rng.choice(list(GROUPS))

    def slot(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in ("group", "singular"):
            characteristic.append(GROUPS[group])
            return group if key == "group" else SINGULAR[group]
        if key.startswith("slur_"):
            kind = {"race": "race", "religion": "religion", "sex": "sex_gender", "orientation": "sexual_orientation",
                    "trans": "gender_identity", "disability": "disability"}[key[5:]]  # fmt: skip
            return _slur(rng, kind)
        value = {
            "name": lambda: rng.choice(NAMES), "role": lambda: rng.choice(ROLES), "place": lambda: rng.choice(PLACES),
            "venue": lambda: rng.choice(VENUES), "day": lambda: rng.choice(DAYS), "family": lambda: rng.choice(FAMILY),
            "policy": lambda: rng.choice(POLICIES), "weapon": lambda: rng.choice(WEAPONS),
            "insult": lambda: rng.choice(INSULTS), "mild": lambda: rng.choice(MILD_RUDE),
            "dehuman": lambda: rng.choice(DEHUMANISING), "country": lambda: rng.choice(COUNTRIES),
            "street": lambda: rng.choice(STREETS), "school": lambda: rng.choice(SCHOOLS),
            "park": lambda: rng.choice(PARKS), "station": lambda: rng.choice(STATIONS),
            "number": lambda: str(rng.randint(1, 140)), "postcode": lambda: _postcode(rng),
            "digits": lambda: "".join(str(rng.randint(0, 9)) for _ in range(9)),
            "reg": lambda: f"{rng.choice(['LK', 'YA', 'BD', 'MA'])}{rng.randint(10, 73)} {rng.choice(['XYZ', 'HGT', 'PLO'])}",
            "possessive": lambda: rng.choice(["Her", "His", f"{rng.choice(NAMES)}'s"]),
        }[key]()
        return value

    text = re.sub(r"\{(\w+)\}", slot, template)
    # Surface variety, so templates without slots still yield distinct rows and the
    # model does not tie a label to one exact punctuation or casing.
    roll = rng.random()
    if roll < 0.2:
        text = f"@{rng.choice(['JaneMP', 'cllr_owen', 'PriyaForLeeds', 'TomW_MP'])} {text}"
    elif roll < 0.35:
        text = f"{rng.choice(NAMES)}, {text[0].lower()}{text[1:]}"
    if rng.random() < 0.2:
        text = text.lower()
    text = text.rstrip(".!?") + rng.choice(["", "", ".", "!", "!!", "?"] if text[-1:] != "?" else ["?"])
    return text, (characteristic[0] if characteristic else None)


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    labels: dict[str, float]
    characteristic: str | None
    family: str
    template: int


def generate(seed: int, per_template: int, dev_fraction: float, families: Sequence[Family] = FAMILIES,
             filler: Callable[[str, random.Random], tuple[str, str | None]] = fill) -> tuple[list[Row], list[Row]]:  # fmt: skip
    """Write `per_template` fillings of every template; hold out whole templates for dev."""
    rng = random.Random(seed)
    train: list[Row] = []
    dev: list[Row] = []
    for family in families:
        for index, template in enumerate(family.templates):
            held_out = rng.random() < dev_fraction
            seen: set[str] = set()
            for _ in range(per_template):
                text, implied = filler(template, rng)
                if text in seen:
                    continue
                seen.add(text)
                labels = dict.fromkeys(family.labels, family.soft)
                characteristic = family.characteristic
                if "identity_hate" in labels and characteristic is None:
                    characteristic = implied
                if characteristic is None and "identity_hate" in labels:
                    words = re.findall(r"\w+", text.lower())
                    slur_kind = next((SLURS[w.rstrip("s")] for w in words if w.rstrip("s") in SLURS), None)
                    characteristic = slur_kind
                if family.name == "identity_person_race" and "paki" in text.lower():
                    characteristic = "race"
                row = Row(text, labels, characteristic if labels.get("identity_hate") else None, family.name, index)
                (dev if held_out else train).append(row)
    return train, dev


def iter_families() -> Iterator[Family]:
    yield from FAMILIES
