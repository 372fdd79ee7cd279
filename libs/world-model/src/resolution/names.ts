/**
 * Given-name knowledge for matching: nickname groups (a name may sit in several,
 * e.g. "jon" is short for both john and jonathan) and the set of names known to be
 * distinct given names, so that "emma" and "ella" count as two people rather than
 * a typo. Folded to lower-case ASCII.
 */
const GROUPS: readonly string[] = [
  'abigail abby abbie gail', 'abraham abe bram', 'adam ad', 'albert al bert bertie', 'alexander alex al xander sandy lex',
  'alexandra alex alexa sandra sandy lexi', 'alexis alex lexi', 'alfred al alf fred freddie', 'allison allie ali', 'andrew andy drew',
  'angela angie', 'anthony tony ant', 'antonio tony', 'arthur art artie', 'barbara barb barbie babs', 'benjamin ben benny benji',
  'bernard bernie', 'beverly bev', 'bradley brad', 'bridget biddy bridie', 'catherine kate cathy cat katie kathy cate',
  'katherine kate kathy katie kat kit kay', 'kathleen kathy kate katie', 'caroline carrie carol', 'charles charlie chuck chas chaz',
  'charlotte charlie lottie', 'christina chris tina christy', 'christine chris tina', 'christopher chris kit topher',
  'cynthia cindy', 'daniel dan danny', 'danielle dani', 'david dave davy', 'deborah debbie deb debra', 'dennis denny',
  'donald don donnie', 'dorothy dot dottie', 'douglas doug', 'edward ed eddie ted ned', 'edwin ed eddie', 'eleanor ellie nell nora',
  'elizabeth liz beth betty lizzie eliza betsy libby', 'emily em emmy', 'eugene gene', 'frances fran frannie',
  'francis frank fran', 'franklin frank', 'frederick fred freddie', 'gabriel gabe', 'gabrielle gabby', 'gerald gerry jerry',
  'gregory greg', 'harold hal harry', 'harry hal', 'henry hank harry hal', 'isabella bella izzy isabel',
  'jacob jake jack', 'james jim jimmy jamie jim', 'janet jan', 'jeffrey jeff', 'jennifer jen jenny jenn', 'jeremy jerry',
  'jessica jess jessie', 'joan jo', 'john jack johnny jon', 'jonathan jon jonny nathan', 'joseph joe joey', 'josephine jo josie',
  'joshua josh', 'judith judy', 'julia julie', 'kenneth ken kenny', 'kimberly kim', 'lawrence larry', 'leonard leo len lenny',
  'louis lou', 'margaret maggie meg peggy marge margie greta', 'martha marty mattie', 'matthew matt', 'megan meg',
  'melissa mel missy', 'michael mike mikey mick', 'michelle shelly', 'mitchell mitch', 'nancy nan', 'nathaniel nate nathan nat',
  'nicholas nick nicky', 'nicole nikki nicky', 'pamela pam', 'patricia pat patty trish tricia', 'patrick pat paddy rick',
  'peter pete', 'philip phil', 'rebecca becky becca', 'richard rick dick rich richie ricky', 'robert bob rob bobby robbie bert',
  'roberta bobbie', 'ronald ron ronnie', 'samantha sam sammy', 'samuel sam sammy', 'sandra sandy', 'stephanie steph',
  'stephen steve stevie', 'steven steve stevie', 'susan sue susie suzy', 'suzanne sue susie', 'theodore ted teddy theo',
  'thomas tom tommy', 'timothy tim timmy', 'valerie val', 'victoria vicky tori', 'vincent vince vinny', 'walter walt wally',
  'william will bill billy willie liam', 'zachary zach zack', 'ellen ellie', 'olivia liv livvy', 'sophia sophie',
  'alison ali', 'teresa terry tess', 'theresa terry tess tessa', 'terrence terry', 'anne annie nan', 'ann annie', 'mary molly polly mae',
  'raymond ray', 'ricardo rick ricky', 'manuel manny', 'jose pepe', 'francisco paco frank', 'guadalupe lupe',
  'alejandro alex', 'eduardo eddie ed', 'roberto beto rob', 'kristen kris', 'kristin kris', 'christian chris',
];

const groupsOf = new Map<string, number[]>();
GROUPS.forEach((g, i) => {
  for (const name of g.split(' ')) groupsOf.set(name, [...(groupsOf.get(name) ?? []), i]);
});

/** Common given names, for telling two real names apart from a keying error. */
const KNOWN = new Set<string>([
  ...groupsOf.keys(),
  ...('aaron adrian aiden alice amanda amber amy andrea ann anna ashley austin ava brandon brenda brian brittany bruce carl carlos '
    + 'carmen chad chelsea cheryl chloe cody colin connor craig crystal dana dean derek diana diane dolores dylan eileen ella elena '
    + 'ellen emma eric erica erin ethan evan evelyn gary george gina glenn grace hannah heather helen holly ian irene isaac ivan '
    + 'jack jackie jane janice jason jean jesse jill joan jordan joyce juan justin karen karl kayla keith kelly kevin kyle laura '
    + 'lauren leah lee leslie linda lisa logan lori lucas lucy luis luke lynn madison marc marcus maria marie mario mark marvin '
    + 'mason maya melanie mia miguel monica morgan nadia natalie neil noah norma oliver oscar paige paul paula pedro rachel '
    + 'ralph randy regina rhonda ricky rita roger rosa rose roy ruby russell ruth ryan sabrina sara sarah scott sean seth shane '
    + 'shannon sharon shawn sheila shirley sierra sofia stacy stanley tara taylor todd tracy travis tyler vanessa vera wanda '
    + 'wayne wendy wesley yolanda zoe jon jan dan don ben tim tom kim jim joe pat sam sue meg liz amy max ana eva ida ira '
    + 'carolyn carol caroline jacqueline virginia gloria doris marilyn denise beverly kathryn janet joyce judy heather diane '
    + 'danielle brittany charlotte alexis madison abigail natalie grace amber kayla andrea martha teresa frances evelyn joan '
    + 'willie billy bobby elijah bryan alan albert arthur harold roger terry gerald keith jeremy jerry tyler nathan douglas '
    + 'zachary kyle noah walter raymond gregory samuel benjamin frank patrick dennis jose adam henry peter ethan christian '
    + 'sean austin carl lawrence dylan bruce gabriel logan juan roy vincent ralph eugene russell louis philip oscar luis '
    + 'marcus lucas luke evan ian colin dean seth ivan mason joshua kenneth kevin brian george timothy ronald edward jason '
    + 'jeffrey ryan jacob eric jonathan stephen larry justin scott brandon anthony donald steven paul andrew mark matthew '
    + 'daniel christopher charles thomas joseph richard william david michael john robert james mary patricia jennifer linda '
    + 'elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly emily donna michelle '
    + 'amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen angela shirley anna brenda pamela '
    + 'nicole helen samantha katherine christine debra rachel catherine maria julie olivia victoria kelly lauren christina '
    + 'megan cheryl hannah sara judith alice sophia diana theresa marie alexis chloe leah nadia vera paige sierra tara').split(' '),
]);

/** Do two folded given names name the same person by nickname (or are equal)? */
export function nicknameMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const ga = groupsOf.get(a);
  const gb = groupsOf.get(b);
  if (!ga || !gb) return false;
  return ga.some((g) => gb.includes(g));
}

export function isKnownGivenName(name: string): boolean {
  return KNOWN.has(name);
}

const GROUPED_BY_INITIAL = new Map<string, string[]>();
for (const name of groupsOf.keys()) GROUPED_BY_INITIAL.set(name[0]!, [...(GROUPED_BY_INITIAL.get(name[0]!) ?? []), name]);

/**
 * A mistyped name that is a nickname of the other ("robret" and "bob"): some name
 * of the nickname table is one keying error away from `a` and a nickname of `b`.
 */
export function nicknameOfTypo(a: string, b: string, isTypo: (x: string, y: string) => boolean): boolean {
  if (a.length < 4 || !groupsOf.has(b) || groupsOf.has(a)) return false;
  return (GROUPED_BY_INITIAL.get(a[0]!) ?? []).some((g) => Math.abs(g.length - a.length) <= 2 && nicknameMatch(g, b) && isTypo(a, g));
}
