/**
 * Names and places for synthetic people, roughly in order of frequency (the
 * generator draws them with a skewed distribution, so common names collide as
 * they do in real registers). Invented data: no real person is described.
 */
export const FEMALE = ('mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley '
  + 'kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy angela '
  + 'shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather '
  + 'diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline '
  + 'martha gloria teresa ann sara madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn '
  + 'danielle beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori ella chloe zoe leah nadia vera '
  + 'yolanda paige sierra tara wanda rosa rita lucy ruby irene ida eva ana mia ava sofia').split(' ');

export const MALE = ('james robert john michael david william richard joseph thomas charles christopher daniel matthew anthony mark '
  + 'donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric '
  + 'jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry tyler '
  + 'aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry gerald harold '
  + 'sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan albert willie alan juan wayne elijah '
  + 'randy roy vincent ralph eugene russell bobby mason philip louis ivan oscar luis marcus lucas luke evan ian colin dean seth').split(' ');

export const SURNAMES = ('smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson '
  + 'anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young '
  + 'allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez '
  + 'phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan '
  + 'cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett gray mendoza '
  + 'ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell '
  + 'coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds '
  + 'griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro marshall '
  + 'owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman webb tucker guzman burns crawford '
  + 'olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson '
  + 'boyd rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner '
  + 'payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley knight elliott cunningham '
  + 'duncan armstrong hudson carroll lane riley andrews alvarado ray delgado berry perkins hoffman johnston matthews pena richards '
  + 'contreras willis carpenter lawrence sandoval guerrero george chapman rios estrada ortega watkins greene nunez wheeler valdez '
  + 'harper burke larson santiago maldonado morrison franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega '
  + 'bishop montgomery oliver jensen harvey williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy garrett '
  + 'burton fuller wang weber welch rojas lucas marquez fields park yang little banks padilla day walsh bowman schultz luna '
  + 'fowler mejia davidson acosta brewer may holland juarez newman pearson curtis cortez douglas schneider joseph barrett navarro '
  + 'figueroa keller avila wade molina stanley hopkins campos barnett bates chambers caldwell beck lambert miranda byrd craig ayala '
  + 'lowe frazier powers neal leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings watts duran walters '
  + 'cohen mcdaniel moran parks steele vaughn becker holt deleon barker terry hale leon hail benson haynes horton miles lyons pham').split(' ');

/** Nicknames as clerks and patients write them (the generator's own list, not the resolver's). */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  william: ['bill', 'will', 'billy'], robert: ['bob', 'rob', 'bobby'], richard: ['rick', 'dick', 'rich'], james: ['jim', 'jimmy', 'jamie'],
  john: ['jack', 'johnny'], michael: ['mike', 'mikey'], joseph: ['joe', 'joey'], thomas: ['tom', 'tommy'], charles: ['charlie', 'chuck'],
  christopher: ['chris'], daniel: ['dan', 'danny'], matthew: ['matt'], anthony: ['tony'], donald: ['don'], steven: ['steve'],
  andrew: ['andy', 'drew'], joshua: ['josh'], kenneth: ['ken', 'kenny'], timothy: ['tim'], ronald: ['ron'], edward: ['ed', 'eddie', 'ted'],
  jeffrey: ['jeff'], nicholas: ['nick'], jonathan: ['jon'], stephen: ['steve'], lawrence: ['larry'], benjamin: ['ben'], samuel: ['sam'],
  gregory: ['greg'], alexander: ['alex'], patrick: ['pat'], raymond: ['ray'], zachary: ['zach'], peter: ['pete'], douglas: ['doug'],
  gerald: ['gerry'], harold: ['harry'], elizabeth: ['liz', 'beth', 'betty'], patricia: ['pat', 'patty', 'trish'], jennifer: ['jen', 'jenny'],
  margaret: ['maggie', 'peggy', 'meg'], susan: ['sue', 'susie'], jessica: ['jess'], kimberly: ['kim'], deborah: ['debbie', 'deb'],
  rebecca: ['becky'], cynthia: ['cindy'], kathleen: ['kathy', 'kate'], katherine: ['kate', 'katie', 'kathy'], catherine: ['cathy', 'kate'],
  christine: ['chris', 'tina'], pamela: ['pam'], samantha: ['sam'], judith: ['judy'], victoria: ['vicky', 'tori'], abigail: ['abby'],
  theresa: ['terry', 'tess'], teresa: ['terry'], alexis: ['alex'], frances: ['fran'], dorothy: ['dot'], melissa: ['missy', 'mel'],
  stephanie: ['steph'], sandra: ['sandy'], isabella: ['bella', 'izzy'],
};

export const STREETS = 'main oak maple cedar pine elm washington lake hill park walnut sunset ridge river church mill spring highland center forest'.split(' ');
export const STREET_KINDS = ['St', 'Ave', 'Rd', 'Ln', 'Dr', 'Ct', 'Blvd', 'Way'];

/** City, state and a few zip codes in it. */
export const PLACES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['Springfield', 'IL', ['62701', '62702', '62703', '62704']], ['Columbus', 'OH', ['43004', '43085', '43201', '43215']],
  ['Madison', 'WI', ['53703', '53704', '53711', '53719']], ['Franklin', 'TN', ['37064', '37067', '37069']],
  ['Greenville', 'SC', ['29601', '29605', '29607', '29609']], ['Salem', 'OR', ['97301', '97302', '97304', '97306']],
  ['Fairview', 'NJ', ['07022']], ['Riverside', 'CA', ['92501', '92503', '92504', '92505', '92506']],
  ['Auburn', 'AL', ['36830', '36832']], ['Clinton', 'MS', ['39056', '39060']], ['Georgetown', 'TX', ['78626', '78628', '78633']],
  ['Arlington', 'VA', ['22201', '22202', '22203', '22204', '22205']], ['Bristol', 'CT', ['06010', '06011']],
  ['Dayton', 'OH', ['45402', '45403', '45405', '45406', '45409']], ['Kingston', 'NY', ['12401', '12402']],
];
