"""A reproducible synthetic registry for load tests and demos: `rolemap generate --scale M --seed 1`.

`generate_bundle(scale, seed)` returns an import bundle (the format of `rolemap.bundle`) built from
one `random.Random(seed)` and a fixed base date, so the same seed gives the same bundle byte for byte,
in any process. Sizes come from `SCALES`; the shapes follow the sample role map:

- capabilities form a two-level taxonomy (a top-level "Digital <domain>" and narrower "<technique>
  for <domain>" capabilities, joined by BROADER); services and needs draw them from a Zipf-like
  distribution (weight 1/rank), so a few capabilities are everywhere and most are rare;
- a vendor's share of the offerings is Zipf-like too (weight 1/rank^0.7): a few big vendors with
  hundreds of offerings, most with a handful;
- names and descriptions are composed from the capability's technique and domain, an audience and
  the city, in English and Finnish (some Swedish), so that similar records read alike;
- pilots trial services that have the capabilities their needs require, so overlaps are real, and
  their status, dates and decisions follow the pilot lifecycle.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .bundle import FORMAT, VERSION
from .graph.schema import NODES, RELS

BASE = datetime(2026, 1, 1)
"""Every date is this minus a random offset: no wall-clock time enters a bundle."""
BASE_DAY = BASE.date()
SOURCE = "generated"


@dataclass(frozen=True)
class Scale:
    regions: int
    cities: int
    vendors: int
    services: int
    needs: int
    pilots: int
    capabilities: int


SCALES = {
    "S": Scale(
        regions=3, cities=30, vendors=500, services=5_000, needs=2_000, pilots=1_000, capabilities=100
    ),
    "M": Scale(
        regions=30, cities=300, vendors=5_000, services=50_000, needs=20_000, pilots=10_000, capabilities=400
    ),
    "L": Scale(
        regions=90,
        cities=900,
        vendors=15_000,
        services=150_000,
        needs=60_000,
        pilots=30_000,
        capabilities=800,
    ),
}

CAPABILITY_SKEW = 1.0
VENDOR_SKEW = 0.7
IN_HOUSE_SHARE = 0.2
RETIRED_SHARE = 0.08
NETWORK_SHARE = 1 / 15
USES_PER_CITY = (100, 200)
STANCES_PER_CITY = 10
PILOT_STATUSES = {"DECIDED": 70, "ENDED": 10, "RUNNING": 10, "PROPOSED": 5, "CANCELLED": 5}
OUTCOMES = {"LEARNED": 35, "DEVELOP": 40, "DROP": 25}
SUPERSEDED_SHARE = 0.1

# Vocabularies --------------------------------------------------------------------------------

THEMES = {
    "elderly": (
        "Elderly care",
        "Vanhustenhuolto",
        "Äldreomsorg",
        "Care and services for older residents, at home and in care units.",
        "Ikääntyneiden kaupunkilaisten hoito ja palvelut kotona ja hoivayksiköissä.",
    ),
    "youth": (
        "Preventing youth exclusion",
        "Nuorten syrjäytymisen ehkäisy",
        "Förebyggande av ungas utanförskap",
        "Reaching young people at risk of dropping out of education, work and society.",
        "Koulutuksen, työn ja yhteiskunnan ulkopuolelle jäämisen vaarassa olevien nuorten tavoittaminen.",
    ),
    "employment": (
        "Employment support",
        "Työllisyyden tukeminen",
        "Sysselsättningsstöd",
        "Helping unemployed residents into work and training.",
        "Työttömien kaupunkilaisten tukeminen työhön ja koulutukseen.",
    ),
    "lifestyle": (
        "Preventing lifestyle diseases",
        "Elintapasairauksien ehkäisy",
        "Förebyggande av livsstilssjukdomar",
        "Prevention of diseases driven by lifestyle, such as type 2 diabetes and cardiovascular disease.",
        "Elintavoista johtuvien sairauksien, kuten tyypin 2 diabeteksen, ehkäisy.",
    ),
    "inclusion": (
        "Digital inclusion",
        "Digitaalinen osallisuus",
        "Digital delaktighet",
        "Making sure every resident can use digital public services, whatever their skills or equipment.",
        "Jokainen asukas pystyy käyttämään digitaalisia julkisia palveluita taidoista riippumatta.",
    ),
    "participation": (
        "Citizen participation",
        "Kuntalaisten osallistuminen",
        "Medborgardelaktighet",
        "Residents taking part in planning and developing public services and policies.",
        "Asukkaiden osallistuminen julkisten palveluiden ja päätösten valmisteluun.",
    ),
    "relations": (
        "User relations",
        "Asiakas- ja käyttäjäsuhteet",
        "Användarrelationer",
        "The relationship between a public body and the users of its services, across channels.",
        "Julkisen organisaation ja sen palveluiden käyttäjien välinen suhde eri kanavissa.",
    ),
    "data": (
        "Data-driven monitoring",
        "Tietoon perustuva seuranta",
        "Datadriven uppföljning",
        "Steering and monitoring public action with data.",
        "Julkisen toiminnan ohjaaminen ja seuranta tiedon avulla (tiedolla johtaminen).",
    ),
    "resource": (
        "Metropolitan resource centre",
        "Metropolialueen resurssikeskus",
        "Storstadsregionens resurscentrum",
        "A shared centre of resources, knowledge and skills for the municipalities of a metropolis.",
        "Metropolialueen kuntien yhteinen resurssien, tiedon ja osaamisen keskus.",
    ),
    "support": (
        "Digital support",
        "Digituki",
        "Digitalt stöd",
        "Support in using e-services and devices independently and safely.",
        "Sähköisen asioinnin ja laitteiden käytön tuki itsenäiseen ja turvalliseen käyttöön.",
    ),
    "mobility": (
        "Sustainable mobility",
        "Kestävä liikkuminen",
        "Hållbar mobilitet",
        "Smooth everyday travel with less traffic and fewer emissions.",
        "Sujuva arjen liikkuminen pienemmin päästöin.",
    ),
    "climate": (
        "Climate and environment",
        "Ilmasto ja ympäristö",
        "Klimat och miljö",
        "Cutting the city's emissions and looking after its environment.",
        "Kaupungin päästöjen vähentäminen ja ympäristöstä huolehtiminen.",
    ),
}

# (object in English, name in Finnish, Finnish genitive, object in Swedish, themes, audiences)
DOMAINS = [
    ("home care", "Kotihoito", "kotihoidon", "hemvård", ("elderly",), (17, 0, 8)),
    ("services for older people", "Vanhuspalvelut", "vanhuspalveluiden", "äldreomsorg", ("elderly",), (0, 8)),
    (
        "health-centre services",
        "Terveysasemat",
        "terveysaseman",
        "hälsocentraler",
        ("lifestyle", "relations"),
        (9, 6),
    ),
    (
        "oral health care",
        "Suun terveydenhuolto",
        "suun terveydenhuollon",
        "munhälsovård",
        ("lifestyle",),
        (9, 1),
    ),
    (
        "mental-health services",
        "Mielenterveyspalvelut",
        "mielenterveyspalveluiden",
        "mentalvård",
        ("youth", "lifestyle"),
        (2, 9, 5),
    ),
    ("substance-abuse services", "Päihdepalvelut", "päihdepalveluiden", "missbrukarvård", ("youth",), (2, 9)),
    ("social work", "Sosiaalityö", "sosiaalityön", "socialt arbete", ("youth", "employment"), (6, 1, 18)),
    ("child welfare", "Lastensuojelu", "lastensuojelun", "barnskydd", ("youth",), (1, 2)),
    (
        "early-childhood education",
        "Varhaiskasvatus",
        "varhaiskasvatuksen",
        "småbarnspedagogik",
        ("relations",),
        (1, 10),
    ),
    (
        "basic education",
        "Perusopetus",
        "perusopetuksen",
        "grundläggande utbildning",
        ("youth", "inclusion"),
        (12, 1, 10),
    ),
    ("youth work", "Nuorisotyö", "nuorisotyön", "ungdomsarbete", ("youth",), (2,)),
    (
        "employment services",
        "Työllisyyspalvelut",
        "työllisyyspalveluiden",
        "sysselsättningstjänster",
        ("employment",),
        (3, 18, 7),
    ),
    (
        "adult education",
        "Aikuiskoulutus",
        "aikuiskoulutuksen",
        "vuxenutbildning",
        ("employment", "inclusion"),
        (3, 4, 6),
    ),
    (
        "library services",
        "Kirjastopalvelut",
        "kirjastopalveluiden",
        "bibliotekstjänster",
        ("inclusion", "support"),
        (6, 5, 0),
    ),
    (
        "cultural services",
        "Kulttuuripalvelut",
        "kulttuuripalveluiden",
        "kulturtjänster",
        ("participation",),
        (6, 14, 19),
    ),
    (
        "sports and exercise services",
        "Liikuntapalvelut",
        "liikuntapalveluiden",
        "idrotts- och motionstjänster",
        ("lifestyle",),
        (6, 2, 19, 0),
    ),
    (
        "public transport",
        "Joukkoliikenne",
        "joukkoliikenteen",
        "kollektivtrafik",
        ("mobility", "climate"),
        (13, 6, 14),
    ),
    ("parking", "Pysäköinti", "pysäköinnin", "parkering", ("mobility",), (6, 14, 13)),
    (
        "street maintenance",
        "Katujen kunnossapito",
        "katujen kunnossapidon",
        "gatuunderhåll",
        ("mobility", "data"),
        (6, 10),
    ),
    ("waste management", "Jätehuolto", "jätehuollon", "avfallshantering", ("climate",), (6, 15)),
    ("water services", "Vesihuolto", "vesihuollon", "vattentjänster", ("climate", "data"), (15, 6)),
    (
        "energy management",
        "Energianhallinta",
        "energianhallinnan",
        "energihantering",
        ("climate", "data"),
        (10, 15),
    ),
    ("building permits", "Rakennusvalvonta", "rakennusvalvonnan", "byggnadstillsyn", ("relations",), (15, 7)),
    ("urban planning", "Kaavoitus", "kaavoituksen", "planläggning", ("participation",), (6, 16, 15)),
    (
        "housing services",
        "Asumispalvelut",
        "asumispalveluiden",
        "boendetjänster",
        ("elderly", "inclusion"),
        (6, 0, 11),
    ),
    (
        "environmental monitoring",
        "Ympäristön seuranta",
        "ympäristön seurannan",
        "miljöövervakning",
        ("climate", "data"),
        (10, 16),
    ),
    (
        "public safety",
        "Turvallisuus ja valmius",
        "turvallisuuden ja valmiuden",
        "säkerhet och beredskap",
        ("data",),
        (6, 10),
    ),
    ("customer service", "Asiakaspalvelu", "asiakaspalvelun", "kundtjänst", ("relations",), (6, 7, 0)),
    ("digital support", "Digituki", "digituen", "digitalt stöd", ("support", "inclusion"), (0, 4, 6)),
    (
        "resident participation",
        "Osallisuus",
        "osallisuuden",
        "invånardelaktighet",
        ("participation",),
        (6, 2, 19),
    ),
    (
        "council decision-making",
        "Päätöksenteko",
        "päätöksenteon",
        "beslutsfattande",
        ("participation", "data"),
        (16, 6),
    ),
    (
        "knowledge-based management",
        "Tiedolla johtaminen",
        "tiedolla johtamisen",
        "kunskapsbaserad ledning",
        ("data",),
        (16, 10),
    ),
    ("financial management", "Taloushallinto", "taloushallinnon", "ekonomiförvaltning", ("data",), (10, 16)),
    ("human resources", "Henkilöstöhallinto", "henkilöstöhallinnon", "personalförvaltning", ("data",), (10,)),
    ("procurement", "Hankinnat", "hankintojen", "upphandling", ("resource",), (10, 7)),
    (
        "ICT infrastructure",
        "ICT-infrastruktuuri",
        "ICT-infrastruktuurin",
        "IKT-infrastruktur",
        ("resource",),
        (10,),
    ),
    (
        "information security",
        "Tietoturva",
        "tietoturvan",
        "informationssäkerhet",
        ("resource", "support"),
        (10, 6),
    ),
    (
        "document and case management",
        "Asianhallinta",
        "asianhallinnan",
        "ärendehantering",
        ("relations", "data"),
        (10, 6),
    ),
    (
        "tourism and events",
        "Matkailu ja tapahtumat",
        "matkailun ja tapahtumien",
        "turism och evenemang",
        ("participation",),
        (14, 7),
    ),
    (
        "business services",
        "Elinkeinopalvelut",
        "elinkeinopalveluiden",
        "näringslivstjänster",
        ("employment",),
        (7, 3),
    ),
    (
        "integration services",
        "Kotoutumispalvelut",
        "kotoutumispalveluiden",
        "integrationstjänster",
        ("inclusion", "employment"),
        (4,),
    ),
    (
        "disability services",
        "Vammaispalvelut",
        "vammaispalveluiden",
        "handikappservice",
        ("inclusion", "elderly"),
        (11, 8),
    ),
]

# (name, Finnish, Swedish, what it does, the need it meets, the need in Finnish)
TECHNIQUES = [
    (
        "Chatbot",
        "chatbot",
        "chattbot",
        "answers routine questions around the clock in chat",
        "answers to routine questions at any hour",
        "vastaukset rutiinikysymyksiin ympäri vuorokauden",
    ),
    (
        "Electronic booking",
        "sähköinen ajanvaraus",
        "elektronisk tidsbokning",
        "lets people book, move and cancel appointments online",
        "booking appointments without phone queues",
        "ajanvaraus ilman puhelinjonoja",
    ),
    (
        "Appointment reminders",
        "ajanvarausmuistutukset",
        "bokningspåminnelser",
        "sends text-message and e-mail reminders with a cancel link",
        "fewer missed appointments",
        "vähemmän peruuttamatta jääneitä käyntejä",
    ),
    (
        "Video consultation",
        "videovastaanotto",
        "videomottagning",
        "holds appointments and visits over secure video",
        "meetings without travel",
        "asiointi ilman matkustamista",
    ),
    (
        "Remote monitoring",
        "etäseuranta",
        "distansövervakning",
        "follows clients' condition with home devices and alerts staff",
        "early warning of a worsening condition",
        "varhainen tieto voinnin heikkenemisestä",
    ),
    (
        "Mobile app",
        "mobiilisovellus",
        "mobilapp",
        "brings the service to a phone app with notifications",
        "the service in everyone's pocket",
        "palvelu jokaisen puhelimeen",
    ),
    (
        "Self-service portal",
        "asiointiportaali",
        "självbetjäningsportal",
        "gathers applications, decisions and messages in one online account",
        "one place to handle one's own matters",
        "yksi paikka omien asioiden hoitamiseen",
    ),
    (
        "E-forms",
        "sähköiset lomakkeet",
        "e-blanketter",
        "replaces paper forms with guided online forms",
        "applications without paper forms",
        "hakemukset ilman paperilomakkeita",
    ),
    (
        "Online payments",
        "verkkomaksaminen",
        "onlinebetalning",
        "takes fees and invoices online",
        "paying fees online",
        "maksujen hoitaminen verkossa",
    ),
    (
        "Case management system",
        "asianhallintajärjestelmä",
        "ärendehanteringssystem",
        "tracks each case from intake to decision",
        "a shared view of each client's case",
        "yhteinen näkymä asiakkaan asiaan",
    ),
    (
        "Analytics dashboard",
        "raportointinäkymä",
        "analyspanel",
        "shows key figures and trends to managers and decision-makers",
        "up-to-date figures for management",
        "ajantasainen tilannekuva johdolle",
    ),
    (
        "Open data API",
        "avoimen datan rajapinta",
        "öppet data-API",
        "publishes data through an open interface for others to reuse",
        "data that others can reuse",
        "uudelleenkäytettävä avoin data",
    ),
    (
        "IoT sensor network",
        "IoT-anturiverkko",
        "IoT-sensornätverk",
        "collects measurements from sensors in real time",
        "real-time measurements from the field",
        "reaaliaikaiset mittaukset kentältä",
    ),
    (
        "Map service",
        "karttapalvelu",
        "karttjänst",
        "shows locations, routes and plans on an interactive map",
        "information on a map",
        "tieto kartalla",
    ),
    (
        "Feedback survey",
        "palautekysely",
        "responsenkät",
        "collects and analyses feedback from users",
        "knowing what users think",
        "tieto käyttäjien kokemuksista",
    ),
    (
        "Software robotics",
        "ohjelmistorobotiikka",
        "mjukvarurobotik",
        "automates routine back-office steps with software robots",
        "less manual routine work",
        "vähemmän manuaalista rutiinityötä",
    ),
    (
        "AI-assisted triage",
        "tekoälyavusteinen ohjaus",
        "AI-stödd triage",
        "assesses requests with machine learning and routes them to the right person",
        "getting each request to the right person",
        "yhteydenottojen ohjaus oikealle henkilölle",
    ),
    (
        "E-learning platform",
        "verkko-oppimisympäristö",
        "e-lärandeplattform",
        "offers online courses and learning materials",
        "learning at one's own pace",
        "oppiminen omaan tahtiin",
    ),
    (
        "Strong authentication",
        "vahva tunnistautuminen",
        "stark autentisering",
        "identifies users securely with bank credentials or mobile ID",
        "secure identification online",
        "turvallinen tunnistautuminen verkossa",
    ),
    (
        "E-signature",
        "sähköinen allekirjoitus",
        "e-underskrift",
        "lets people sign documents and decisions online",
        "signing without visiting an office",
        "allekirjoitus ilman toimistokäyntiä",
    ),
    (
        "Messaging service",
        "viestipalvelu",
        "meddelandetjänst",
        "sends targeted messages and notifications",
        "timely information to the right people",
        "oikea-aikainen tieto oikeille ihmisille",
    ),
    (
        "Shift and route planning",
        "työvuoro- ja reittisuunnittelu",
        "skift- och ruttplanering",
        "plans staff shifts and routes with optimisation",
        "more time with clients, less time planning",
        "enemmän aikaa asiakkaille, vähemmän suunnittelua",
    ),
    (
        "Knowledge base",
        "tietopankki",
        "kunskapsbank",
        "collects answers, guides and practices in one searchable place",
        "answers that staff and residents can find",
        "löydettävät vastaukset henkilöstölle ja asukkaille",
    ),
    (
        "Helpdesk",
        "neuvontapiste",
        "rådgivning",
        "gives personal help by phone, chat or in person",
        "personal help when digital services are hard",
        "henkilökohtainen apu digipalveluiden käyttöön",
    ),
    (
        "Predictive analytics",
        "ennakoiva analytiikka",
        "prediktiv analys",
        "predicts demand and risks from historical data",
        "acting before problems grow",
        "ennakointi ennen kuin ongelmat kasvavat",
    ),
    (
        "Digital twin",
        "digitaalinen kaksonen",
        "digital tvilling",
        "models the real environment as a 3D simulation",
        "testing changes before building them",
        "muutosten kokeilu ennen toteutusta",
    ),
    (
        "Consultation platform",
        "kuulemisalusta",
        "samrådsplattform",
        "lets residents answer consultations and make proposals",
        "hearing residents before decisions",
        "asukkaiden kuuleminen ennen päätöksiä",
    ),
    (
        "Safety alarm devices",
        "turvarannekkeet",
        "trygghetslarm",
        "detects falls and alarms and calls for help",
        "help quickly in an emergency",
        "nopea apu hätätilanteessa",
    ),
    (
        "Document digitisation",
        "asiakirjojen digitointi",
        "digitalisering av dokument",
        "scans and indexes paper archives for online use",
        "archives available online",
        "arkistot saataville verkossa",
    ),
    (
        "VR training",
        "virtuaalikoulutus",
        "VR-utbildning",
        "trains people in realistic virtual situations",
        "practice in safe virtual situations",
        "harjoittelu turvallisissa virtuaalitilanteissa",
    ),
    (
        "Live chat",
        "chat-palvelu",
        "chattjänst",
        "connects residents with staff in a live chat",
        "quick contact with a real person",
        "nopea yhteys oikeaan ihmiseen",
    ),
    (
        "Resource booking",
        "tilavaraus",
        "lokalbokning",
        "lets residents book rooms, fields and equipment online",
        "booking facilities online",
        "tilojen ja välineiden varaaminen verkossa",
    ),
]

# (English, Finnish allative, Swedish)
AUDIENCES = [
    ("seniors", "ikäihmisille", "för seniorer"),
    ("families with children", "lapsiperheille", "för barnfamiljer"),
    ("young people", "nuorille", "för unga"),
    ("job seekers", "työnhakijoille", "för arbetssökande"),
    ("immigrants", "maahanmuuttajille", "för invandrare"),
    ("students", "opiskelijoille", "för studerande"),
    ("residents", "asukkaille", "för invånare"),
    ("local businesses", "yrityksille", "för företag"),
    ("family caregivers", "omaishoitajille", "för närståendevårdare"),
    ("patients", "potilaille", "för patienter"),
    ("city staff", "henkilöstölle", "för personalen"),
    ("people with disabilities", "vammaisille henkilöille", "för personer med funktionsnedsättning"),
    ("pupils", "oppilaille", "för elever"),
    ("commuters", "työmatkalaisille", "för pendlare"),
    ("visitors", "matkailijoille", "för besökare"),
    ("property owners", "kiinteistönomistajille", "för fastighetsägare"),
    ("decision-makers", "päättäjille", "för beslutsfattare"),
    ("home-care clients", "kotihoidon asiakkaille", "för hemvårdsklienter"),
    ("the unemployed", "työttömille", "för arbetslösa"),
    ("associations", "yhdistyksille", "för föreningar"),
]

# City names: a Finnish first part and a landscape word (nominative, genitive, Swedish).
CITY_ROOTS = [
    ("Järven", "Sjö"), ("Kosken", "Fors"), ("Mäen", "Back"), ("Lahden", "Vik"), ("Salon", "Sal"),
    ("Niemen", "Näs"), ("Rannan", "Strand"), ("Harjun", "Ås"), ("Kallion", "Häll"), ("Saaren", "Holm"),
    ("Vaaran", "Berg"), ("Joen", "Å"), ("Kiven", "Sten"), ("Metsän", "Skog"), ("Kuusi", "Gran"),
    ("Koivu", "Björk"), ("Haapa", "Asp"), ("Petäjä", "Tall"), ("Honka", "Fur"), ("Pihlaja", "Rönn"),
    ("Leppä", "Al"), ("Paju", "Pil"), ("Ylä", "Övre"), ("Ala", "Nedre"), ("Itä", "Öster"),
    ("Länsi", "Väster"), ("Pohjois", "Norr"), ("Etelä", "Söder"), ("Kurki", "Tran"), ("Joutsen", "Svan"),
    ("Hirven", "Älg"), ("Karhu", "Björn"), ("Ilves", "Lo"), ("Lohi", "Lax"), ("Siika", "Sik"),
    ("Hauki", "Gädd"), ("Kala", "Fisk"), ("Lumi", "Snö"), ("Tuuli", "Vind"), ("Kulta", "Guld"),
    ("Hopea", "Silver"), ("Marja", "Bär"), ("Valko", "Vit"), ("Musta", "Svart"),
]  # fmt: skip
CITY_ENDINGS = [
    ("järvi", "järven", "träsk"), ("koski", "kosken", "fors"), ("lahti", "lahden", "vik"),
    ("niemi", "niemen", "näs"), ("saari", "saaren", "ö"), ("joki", "joen", "å"), ("mäki", "mäen", "backa"),
    ("kylä", "kylän", "by"), ("salmi", "salmen", "sund"), ("linna", "linnan", "borg"),
    ("ranta", "rannan", "strand"), ("vaara", "vaaran", "berg"), ("pää", "pään", "ända"),
    ("vesi", "veden", "vatten"), ("harju", "harjun", "ås"), ("lampi", "lammen", "tjärn"),
    ("salo", "salon", "skog"), ("kangas", "kankaan", "hed"), ("suo", "suon", "myr"),
    ("selkä", "selän", "fjärd"), ("virta", "virran", "ström"), ("luoto", "luodon", "holm"),
    ("niitty", "niityn", "äng"), ("portti", "portin", "port"),
]  # fmt: skip

VENDOR_FIRST = [
    "Nordic", "Civic", "Kunta", "Polar", "Aurora", "Sote", "Medi", "Care", "Smart", "Data", "Urban",
    "Digi", "Tieto", "Arctic", "Baltic", "Lumi", "Kide", "Sampo", "Väre", "Helix", "Nova", "Vire",
    "Sisu", "Oiva", "Apu", "Kaiku", "Virta", "Tähti", "Metso", "Kuura", "Revontuli", "Saimaa",
    "Boreal", "Fenno", "Kanto", "Vinkki", "Silta", "Aalto", "Kipinä", "Lähde",
]  # fmt: skip
VENDOR_SECOND = [
    "Solutions", "Systems", "Labs", "Works", "Soft", "Tech", "Data", "Health", "Care", "Logic", "Link",
    "Net", "Cloud", "Partners", "Group", "Analytics", "Mobility", "Services", "Innovations", "Digital",
    "Apps", "Sense", "Learning", "Connect", "Consulting",
]  # fmt: skip
# (country, share, legal form)
VENDOR_COUNTRIES = [
    ("FI", 70, "Oy"), ("SE", 8, "AB"), ("EE", 5, "OÜ"), ("DE", 4, "GmbH"), ("FR", 3, "SAS"),
    ("NL", 3, "B.V."), ("DK", 3, "ApS"), ("NO", 2, "AS"), ("GB", 2, "Ltd"),
]  # fmt: skip
PRODUCT_WORDS = ["Go", "Plus", "360", "Pro", "Flow", "Hub", "One", "Desk", "Point", "Assist", "Now", "Cloud"]
VENDOR_KINDS = [
    "Software company",
    "Consultancy",
    "Start-up",
    "Platform provider",
    "Service-design agency",
    "Systems integrator",
]

SERVICE_EXTRAS = [
    ("Available in Finnish, Swedish and English.", "Saatavilla suomeksi, ruotsiksi ja englanniksi."),
    ("Integrates with the national Suomi.fi services.", "Liittyy kansallisiin Suomi.fi-palveluihin."),
    ("Hosted in the EU and accessible to WCAG 2.1 AA.", "Palvelu sijaitsee EU:ssa ja täyttää WCAG 2.1 AA."),
    ("Licensed per resident per year.", "Lisensoidaan asukasmäärän mukaan vuosittain."),
    ("Includes training for the city's staff.", "Sisältää henkilöstön koulutuksen."),
    (
        "Open-source code, maintained by a community of cities.",
        "Avointa lähdekoodia, kaupunkien yhteisö ylläpitää.",
    ),
    ("Works on phones, tablets and computers.", "Toimii puhelimella, tabletilla ja tietokoneella."),
    ("Procured jointly by several municipalities.", "Hankittu useamman kunnan yhteishankintana."),
    (
        "Connects to the customer-information system through an open API.",
        "Liittyy asiakastietojärjestelmään avoimella rajapinnalla.",
    ),
]
RETIRED_REASONS = [
    "Replaced by a regional shared service.",
    "Discontinued by the vendor after the contract ended.",
    "Too few users to justify the licence costs.",
    "Merged into the city's new customer-service platform.",
    "Did not meet the new accessibility requirements.",
    "The need moved to the wellbeing services county.",
]
NEED_CONTEXT = [
    (
        "Today the work is done by phone and on paper, which ties up staff.",
        "Nykyisin työ tehdään puhelimessa ja paperilla, mikä sitoo henkilöstöä.",
    ),
    (
        "Residents asked for it in the latest customer survey.",
        "Asukkaat toivoivat tätä viimeisimmässä asiakaskyselyssä.",
    ),
    (
        "Neighbouring municipalities have the same need, so a joint procurement is possible.",
        "Naapurikunnilla on sama tarve, joten yhteishankinta on mahdollinen.",
    ),
    (
        "The number of clients grows faster than the number of staff.",
        "Asiakkaiden määrä kasvaa nopeammin kuin henkilöstön.",
    ),
    ("The contract of the current system ends soon.", "Nykyisen järjestelmän sopimuskausi päättyy pian."),
    (
        "Staff spend hours every week on routine questions.",
        "Henkilöstö käyttää viikoittain tunteja rutiinikysymyksiin.",
    ),
    (
        "The need came up in workshops with staff and residents.",
        "Tarve nousi esiin henkilöstön ja asukkaiden työpajoissa.",
    ),
    (
        "The city strategy requires digital services to come first.",
        "Kaupunkistrategia edellyttää digitaalisten palveluiden ensisijaisuutta.",
    ),
    ("Information is scattered across several systems.", "Tieto on hajallaan useissa järjestelmissä."),
    (
        "Some users cannot use the current e-service without help.",
        "Osa käyttäjistä ei pysty käyttämään nykyistä verkkopalvelua ilman apua.",
    ),
]
GOALS = [
    (
        "Every resident primarily uses digital welfare services by {year}",
        "Jokainen asukas käyttää ensisijaisesti digitaalisia hyvinvointipalveluita vuoteen {year} mennessä",
    ),
    (
        "Digital first channel in customer service by {year}",
        "Digitaalinen asiointi ensisijaisena kanavana vuoteen {year} mennessä",
    ),
    ("Knowledge-based management in every service area", "Tiedolla johtaminen kaikilla palvelualueilla"),
    (
        "Stronger resident participation in service development",
        "Vahvempi asukasosallisuus palveluiden kehittämisessä",
    ),
    ("Older people live safely at home for longer", "Ikäihmiset asuvat turvallisesti kotona pidempään"),
    (
        "No young person left outside education or work",
        "Yksikään nuori ei jää koulutuksen tai työn ulkopuolelle",
    ),
    ("Halve long-term unemployment by {year}", "Pitkäaikaistyöttömyys puoleen vuoteen {year} mennessä"),
    ("Carbon-neutral city by {year}", "Hiilineutraali kaupunki vuoteen {year} mennessä"),
    (
        "Usable, working and understandable digital services",
        "Käytettävät, toimivat ja ymmärrettävät digitaaliset palvelut",
    ),
    ("Digital skills for every resident", "Digitaidot jokaiselle asukkaalle"),
    (
        "Shared ICT management with neighbouring municipalities",
        "Yhteinen tietohallinto naapurikuntien kanssa",
    ),
    (
        "Low threshold for trials and new ways of working",
        "Matala kynnys kokeiluille ja uusille toimintatavoille",
    ),
    (
        "Healthier lifestyles and fewer lifestyle diseases",
        "Terveelliset elintavat ja vähemmän elintapasairauksia",
    ),
    ("Smooth and sustainable everyday mobility", "Sujuva ja kestävä arjen liikkuminen"),
]
PILOT_METHODS = [
    "The pilot runs as a minimum viable product with a small group of volunteer users.",
    "User journeys are mapped before and after the trial to measure the change.",
    "Staff and residents co-design the service in workshops during the trial.",
    "The trial runs in two units first, with a control unit for comparison.",
    "Success is measured by use, customer satisfaction and staff time saved.",
    "The vendor and the city share the costs of the trial.",
]
CANCEL_REASONS = [
    "The vendor withdrew from the trial.",
    "Budget cut in the city's financial plan.",
    "Overlaps with a regional pilot started at the same time.",
    "Not enough users volunteered for the trial.",
    "The data-protection impact assessment was not approved.",
    "The responsible unit was reorganised and the owner left.",
]
RATIONALES = {
    "LEARNED": [
        "The trial showed what {technique} can do in {object}, but the city is not ready to continue yet.",
        "Users liked {service}, yet the benefits did not cover the costs; the knowledge is kept for later.",
        "The pilot answered its question; no continuation until the regional plan is ready.",
    ],
    "DEVELOP": [
        "{service} saved staff time and {audience} used it; it is procured for all of {object}.",
        "Clear benefits in {object}: the service is scaled up and joined to the regional procurement.",
        "The trial met its targets; {technique} becomes part of the normal service model.",
    ],
    "DROP": [
        "{service} did not fit the way {object} works and users did not adopt it; it is dropped.",
        "Too few {audience} used the service to justify it; {technique} is excluded for now.",
        "A national service already covers this need, so a city tool would be a needless overlap.",
    ],
}
LESSONS = [
    "Involve end users from the first week, not only at the end.",
    "Each service needs an owner in the service unit, not only in ICT.",
    "Integration with existing systems took most of the budget.",
    "Staff training decides whether a new tool is used.",
    "A narrow, well-defined use case works better than a broad one.",
    "Measure the baseline before the trial starts.",
    "Data-protection questions must be solved before procurement.",
    "Some users need personal digital support to get started.",
    "Neighbouring cities had tried the same; ask them first.",
    "Clear success criteria made the decision easy.",
    "The vendor's roadmap matters as much as the current features.",
    "Residents' feedback changed the service more than expected.",
]
NEXT_STEPS = {
    "LEARNED": [
        "Revisit when the regional service strategy is ready.",
        "Share the results with the network.",
    ],
    "DEVELOP": [
        "Procure {technique_lower} through a joint regional tender.",
        "Scale the service to every unit of {object}.",
        "Integrate {service} with the customer-information system.",
        "Train all staff of {object} in the new way of working.",
        "Set up continuous monitoring of use and satisfaction.",
    ],
    "DROP": ["Record the exclusion in the role map.", "Close the vendor contract at the end of the term."],
}
DECIDERS = [
    "digital services steering group",
    "welfare services board",
    "CIO office",
    "city executive board",
    "innovation unit",
    "procurement team",
    "service area management",
]
STANCE_TEXT = {
    "WATCH": "Following {name} for now; other cities' results will decide whether to try it.",
    "TRIAL": "{name} is being trialled in a pilot.",
    "ADOPT": "{name} proved itself and is part of the normal service model.",
    "EXCLUDE": "{name} does not serve the city's goals; needless overlap with existing services.",
}


# Helpers -------------------------------------------------------------------------------------


def _ts(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def _days_ago(days: int, seconds: int = 0) -> datetime:
    return BASE - timedelta(days=days, seconds=seconds)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym (IoT, AI-assisted, VR)."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _check_digit(number: int) -> int | None:
    """The check digit of a Finnish business id (Y-tunnus), None when no digit is valid."""
    total = sum(int(d) * w for d, w in zip(f"{number:07d}", (7, 9, 10, 5, 8, 4, 2), strict=True))
    rest = total % 11
    return 0 if rest == 0 else None if rest == 1 else 11 - rest


class _Skewed:
    """Draws indexes 0..n-1 with Zipf-like weight 1/rank^skew, the ranks shuffled by `rng`."""

    def __init__(self, rng: random.Random, n: int, skew: float) -> None:
        order = list(range(n))
        rng.shuffle(order)
        self.weight = [0.0] * n
        for rank, item in enumerate(order, start=1):
            self.weight[item] = 1 / rank**skew
        self.cum = list(itertools.accumulate(self.weight))
        self.rng = rng

    def one(self) -> int:
        return min(bisect.bisect(self.cum, self.rng.random() * self.cum[-1]), len(self.cum) - 1)


def _gid(label: str, n: int, width: int) -> str:
    return f"{label}:g-{n:0{width}d}"


# The generator -------------------------------------------------------------------------------


def generate_bundle(scale: str, seed: int) -> dict[str, Any]:
    """A synthetic registry of the given scale ("S", "M" or "L"): the same seed, the same bundle."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    return _Generator(SCALES[scale], seed).run()


class _Generator:
    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.nodes: dict[str, list[dict]] = {label: [] for label in NODES}
        self.rels: dict[str, list[dict]] = {rel: [] for rel in RELS}

    def run(self) -> dict[str, Any]:
        self.themes()
        self.capabilities()
        self.cities()
        self.goals()
        self.needs()
        self.vendors()
        self.services()
        self.describe_vendors()
        self.uses()
        self.pilots()
        self.stances()
        return {"format": FORMAT, "version": VERSION, "nodes": self.nodes, "relationships": self.rels}

    # Small helpers -------------------------------------------------------------------------
    def node(self, label: str, node_id: str, created: datetime, updated: datetime | None = None, **props):
        rec = {
            "id": node_id,
            "source": SOURCE,
            "createdAt": _ts(created),
            "updatedAt": _ts(updated or created),
        }
        rec.update((k, v) for k, v in props.items() if v is not None)
        self.nodes[label].append(rec)
        return rec

    def link(self, rel: str, src: str, dst: str, **props) -> None:
        self.rels[rel].append({"src": src, "dst": dst, **props})

    def created(self, low: int = 30, high: int = 3000) -> datetime:
        return _days_ago(self.rng.randint(low, high), self.rng.randrange(86_400))

    # Themes and capabilities ---------------------------------------------------------------
    def themes(self) -> None:
        self.theme_ids = {}
        for i, (key, (en, fi, sv, desc, desc_fi)) in enumerate(THEMES.items(), start=1):
            self.theme_ids[key] = _gid("Theme", i, 2)
            self.node(
                "Theme",
                self.theme_ids[key],
                self.created(2000, 3000),
                name=en,
                name_en=en,
                name_fi=fi,
                name_sv=sv,
                description=desc,
                description_fi=desc_fi,
            )

    def capabilities(self) -> None:
        rng, total = self.rng, self.scale.capabilities
        top = min(len(DOMAINS), max(1, total // 10))
        self.domains = rng.sample(range(len(DOMAINS)), top)
        # Per capability: (id, domain index, technique index or None for a top-level one)
        self.caps: list[tuple[str, int, int | None]] = []
        for d in self.domains:
            self.caps.append((_gid("Capability", len(self.caps) + 1, 4), d, None))
        unused = {d: rng.sample(range(len(TECHNIQUES)), len(TECHNIQUES)) for d in self.domains}
        for i in range(total - top):
            d = self.domains[i % top]
            self.caps.append((_gid("Capability", len(self.caps) + 1, 4), d, unused[d].pop()))
        self.top_cap = {d: i for i, d in enumerate(self.domains)}
        for cap_id, d, t in self.caps:
            self.capability_node(cap_id, d, t)
            if t is not None:
                self.link("BROADER", cap_id, self.caps[self.top_cap[d]][0])
        self.cap_draw = _Skewed(rng, total, CAPABILITY_SKEW)
        self.caps_of_domain: dict[int, tuple[list[int], list[float]]] = {d: ([], []) for d in self.domains}
        for i, (_, d, _) in enumerate(self.caps):
            self.caps_of_domain[d][0].append(i)
            self.caps_of_domain[d][1].append(self.cap_draw.weight[i])

    def capability_node(self, cap_id: str, d: int, t: int | None) -> None:
        obj, fi, fi_gen, sv, _, _ = DOMAINS[d]
        if t is None:
            name, name_fi, name_sv = f"Digital {obj}", f"{fi} – digitalisaatio", f"Digitalisering av {sv}"
            desc = f"Digital tools and services that support {obj}."
            desc_fi = f"{fi_gen.capitalize()} digitaaliset välineet ja palvelut."
        else:
            tech, tech_fi, tech_sv, what, _, _ = TECHNIQUES[t]
            name, name_sv = f"{tech} for {obj}", f"{tech_sv[0].upper()}{tech_sv[1:]} för {sv}"
            name_fi = f"{fi_gen[0].upper()}{fi_gen[1:]} {tech_fi}"
            desc = f"{what[0].upper()}{what[1:]}, applied to {obj}."
            desc_fi = f"{name_fi}."
        self.node(
            "Capability",
            cap_id,
            self.created(1500, 3000),
            name=name,
            name_en=name,
            name_fi=name_fi,
            name_sv=name_sv,
            description=desc,
            description_fi=desc_fi,
        )

    def draw_caps(self, k: int) -> list[int]:
        """`k` distinct capabilities: the first from the skewed draw, the rest mostly from its domain."""
        rng = self.rng
        first = self.cap_draw.one()
        chosen = {first: None}
        members, weights = self.caps_of_domain[self.caps[first][1]]
        for _ in range(k * 4):
            if len(chosen) >= k:
                break
            if rng.random() < 0.6 and len(members) > 1:
                chosen[rng.choices(members, weights=weights)[0]] = None
            else:
                chosen[self.cap_draw.one()] = None
        return list(chosen)

    def text_parts(self, caps: list[int]) -> tuple[int, int]:
        """(domain, technique) to name a record after: mostly its first narrower capability."""
        narrower = [self.caps[c] for c in caps if self.caps[c][2] is not None]
        if not narrower:
            return self.caps[caps[0]][1], self.rng.randrange(len(TECHNIQUES))
        _, d, t = narrower[0] if self.rng.random() < 0.7 else self.rng.choice(narrower)
        return d, t

    def audience(self, typical: tuple[int, ...]) -> tuple[str, str, str]:
        """Mostly one of the domain's typical audiences, sometimes anyone."""
        pick = self.rng.choice(typical) if self.rng.random() < 0.8 else self.rng.randrange(len(AUDIENCES))
        return AUDIENCES[pick]

    # Cities, regions, the network, goals ---------------------------------------------------
    def cities(self) -> None:
        rng, scale = self.rng, self.scale
        combos = [(r, e) for r in range(len(CITY_ROOTS)) for e in range(len(CITY_ENDINGS))]
        names = rng.sample(combos, scale.cities)
        self.city_names = [CITY_ROOTS[r][0] + CITY_ENDINGS[e][0] for r, e in names]
        self.city_genitives = [CITY_ROOTS[r][0] + CITY_ENDINGS[e][1] for r, e in names]
        self.city_ids = [_gid("City", i + 1, 4) for i in range(scale.cities)]
        populations = sorted((int(rng.lognormvariate(9.6, 1.1)) + 800 for _ in names), reverse=True)
        self.city_weight = [p**0.5 for p in populations]
        # The biggest cities come first, so city i < regions is the capital of region i.
        self.city_region = [i % scale.regions for i in range(scale.cities)]
        for i, ((r, e), population) in enumerate(zip(names, populations, strict=True)):
            self.city_node(i, r, e, population)
        self.region_ids = [_gid("City", scale.cities + r + 1, 4) for r in range(scale.regions)]
        for region in range(scale.regions):
            self.region_node(region)
        for i, city_id in enumerate(self.city_ids):
            self.link("PART_OF", city_id, self.region_ids[self.city_region[i]])
        self.network()

    def city_node(self, i: int, root: int, ending: int, population: int) -> None:
        rng = self.rng
        name, capital = self.city_names[i], self.city_region[i]
        name_sv = CITY_ROOTS[root][1] + CITY_ENDINGS[ending][2] if rng.random() < 0.15 else None
        focus = rng.sample(list(THEMES.values()), 2)
        desc = (
            f"{'Bilingual m' if name_sv else 'M'}unicipality of {population:,} residents in the "
            f"{self.city_names[capital]} region; its digital programme focuses on {focus[0][0].lower()} "
            f"and {focus[1][0].lower()}."
        )
        residents = f"{population:,}".replace(",", " ")
        desc_fi = (
            f"{residents} asukkaan {'kaksikielinen ' if name_sv else ''}kunta {self.city_genitives[capital]} "
            f"seudulla; digiohjelman painopisteet ovat {focus[0][1].lower()} ja {focus[1][1].lower()}."
        )
        self.node(
            "City",
            self.city_ids[i],
            self.created(2500, 3500),
            name=name,
            name_fi=name,
            name_sv=name_sv,
            kind="MUNICIPALITY",
            country="FI",
            code=f"G{i + 1:04d}",
            population=population,
            website=f"https://www.{name.lower().translate(_ASCII)}.example",
            description=desc,
            description_fi=desc_fi,
        )

    def region_node(self, region: int) -> None:
        capital = self.city_names[region]
        members = self.city_region.count(region)
        self.node(
            "City",
            self.region_ids[region],
            self.created(2500, 3500),
            name=f"{capital} region",
            name_en=f"{capital} region",
            name_fi=f"{self.city_genitives[region]} seutu",
            kind="REGION",
            country="FI",
            description=f"Region of {members} municipalities around {capital} with a shared digital vision.",
            description_fi=f"{members} kunnan seutu, jolla on yhteinen digivisio.",
        )

    def network(self) -> None:
        rng, scale = self.rng, self.scale
        network_id = _gid("City", scale.cities + scale.regions + 1, 4)
        self.node(
            "City",
            network_id,
            self.created(1000, 2000),
            name="Digital Cities Network",
            name_fi="Digitaalisten kaupunkien verkosto",
            name_sv="Nätverket för digitala städer",
            kind="NETWORK",
            description="Cities exchanging pilots, lessons and joint procurement of digital services.",
            description_fi="Kaupunkien verkosto, joka jakaa kokeiluja, oppeja ja yhteishankintoja.",
        )
        members = rng.sample(range(scale.cities), max(2, round(scale.cities * NETWORK_SHARE)))
        for i in sorted(members):
            self.link("PART_OF", self.city_ids[i], network_id)

    def goals(self) -> None:
        rng = self.rng
        self.city_goals: list[list[str]] = []
        n = 0
        for i, city_id in enumerate(self.city_ids):
            goals = []
            for g in rng.sample(range(len(GOALS)), rng.choice((1, 1, 1, 2, 2))):
                n += 1
                goals.append(self.goal_node(n, city_id, self.city_names[i], g))
            self.city_goals.append(goals)
        for region, region_id in enumerate(self.region_ids):
            n += 1
            self.goal_node(n, region_id, f"{self.city_names[region]} region", 1)

    def goal_node(self, n: int, owner: str, owner_name: str, g: int) -> str:
        year = self.rng.choice((2025, 2027, 2030, 2030, 2035))
        en, fi = (text.format(year=year) for text in GOALS[g])
        goal_id = _gid("Goal", n, 5)
        self.node(
            "Goal",
            goal_id,
            self.created(1000, 3000),
            name=en,
            name_fi=fi,
            description=f"{owner_name}'s strategy goal: {en[0].lower()}{en[1:]}.",
            targetYear=year,
        )
        self.link("HAS_GOAL", owner, goal_id)
        return goal_id

    # Needs ---------------------------------------------------------------------------------
    def needs(self) -> None:
        rng, scale = self.rng, self.scale
        cities = list(range(scale.cities))
        owners = [i % scale.cities for i in range(min(scale.needs, 3 * scale.cities))]
        owners += rng.choices(cities, weights=self.city_weight, k=scale.needs - len(owners))
        rng.shuffle(owners)
        self.needs_of_city: list[list[int]] = [[] for _ in cities]
        self.needs_of_cap: list[list[int]] = [[] for _ in self.caps]
        self.need_caps: list[list[int]] = []
        self.need_ids: list[str] = []
        self.need_city: list[int] = []
        self.need_titles: list[str] = []
        for n, city in enumerate(owners):
            caps = self.draw_caps(rng.choices((1, 2, 3), weights=(45, 35, 20))[0])
            self.need_node(n, city, caps)

    def need_node(self, n: int, city: int, caps: list[int]) -> None:
        rng = self.rng
        d, t = self.text_parts(caps)
        obj, fi, _, _, themes, audiences = DOMAINS[d]
        _, _, _, _, need_en, need_fi = TECHNIQUES[t]
        aud = self.audience(audiences)
        tech_l = _lower_first(TECHNIQUES[t][0])
        title = _cap(
            rng.choice(
                (
                    f"{need_en} in {obj} for {aud[0]}",
                    f"{obj}: {need_en}",
                    f"{need_en} for {aud[0]}",
                    f"{obj}: {need_en} for {aud[0]}",
                    f"{need_en} in {obj} with {tech_l}",
                    f"better {obj} for {aud[0]} through {tech_l}",
                )
            )
        )
        title_fi = f"{fi}: {need_fi} {aud[1]}"
        context = rng.sample(NEED_CONTEXT, 2)
        city_name = self.city_names[city]
        need_id = _gid("Need", n + 1, 6)
        status = rng.choices(("OPEN", "MET", "WITHDRAWN"), weights=(75, 18, 7))[0]
        created = self.created(30, 2500)
        self.node(
            "Need",
            need_id,
            created,
            created + timedelta(days=rng.randint(0, 25)),
            title=title,
            title_fi=title_fi,
            description=f"{city_name} needs {need_en} in {obj}. {context[0][0]} {context[1][0]}",
            description_fi=f"{title_fi}. {context[0][1]} {context[1][1]}" if rng.random() < 0.5 else None,
            status=status,
        )
        self.need_ids.append(need_id)
        self.need_city.append(city)
        self.need_caps.append(caps)
        self.need_titles.append(title)
        self.needs_of_city[city].append(n)
        self.link("HAS_NEED", self.city_ids[city], need_id)
        for c in caps:
            self.needs_of_cap[c].append(n)
            self.link("REQUIRES", need_id, self.caps[c][0])
        theme_keys = dict.fromkeys(themes[: rng.choice((1, 1, 2))])
        if len(theme_keys) == 1 and rng.random() < 0.2:
            theme_keys[rng.choice(list(THEMES))] = None
        for key in theme_keys:
            self.link("IN_THEME", need_id, self.theme_ids[key])
        goals = self.city_goals[city]
        if goals and rng.random() < 0.4:
            self.link("SUPPORTS", need_id, rng.choice(goals))

    # Vendors and services ------------------------------------------------------------------
    def vendors(self) -> None:
        rng, total = self.rng, self.scale.vendors
        names: dict[str, None] = {}
        while len(names) < total:
            first, second = rng.choice(VENDOR_FIRST), rng.choice(VENDOR_SECOND)
            form = rng.randrange(3)
            if form == 0:
                names[f"{first} {second}"] = None
            elif form == 1:
                names[f"{first}{second.lower()}"] = None
            else:
                names[f"{first} {rng.choice(VENDOR_FIRST)} {second}"] = None
        numbers = iter(rng.sample(range(1_000_000, 9_999_999), 2 * total))
        self.vendor_ids: list[str] = []
        self.vendor_brand: list[str] = []
        self.vendor_records: list[dict] = []
        countries = [c for c, _, _ in VENDOR_COUNTRIES]
        shares = [s for _, s, _ in VENDOR_COUNTRIES]
        forms = {c: f for c, _, f in VENDOR_COUNTRIES}
        for v, base in enumerate(names):
            country = rng.choices(countries, weights=shares)[0]
            business_id = None
            if country == "FI":
                number = next(numbers)
                while _check_digit(number) is None:
                    number = next(numbers)
                business_id = f"{number:07d}-{_check_digit(number)}"
            vendor_id = _gid("Vendor", v + 1, 5)
            slug = base.lower().replace(" ", "").translate(_ASCII)
            self.vendor_records.append(
                self.node(
                    "Vendor",
                    vendor_id,
                    self.created(200, 3500),
                    name=f"{base} {forms[country]}",
                    businessId=business_id,
                    country=country,
                    website=f"https://www.{slug}.example",
                    illustrative=True,
                )
            )
            self.vendor_ids.append(vendor_id)
            self.vendor_brand.append(base.split()[0])

    def services(self) -> None:
        rng, scale = self.rng, self.scale
        in_house = round(scale.services * IN_HOUSE_SHARE)
        offered = scale.services - in_house
        vendor_draw = _Skewed(rng, scale.vendors, VENDOR_SKEW)
        owners: list[tuple[str, int]] = [("v", v) for v in range(min(scale.vendors, offered))]
        owners += [("v", vendor_draw.one()) for _ in range(offered - len(owners))]
        operators = rng.choices(range(scale.cities), weights=[w**0.6 for w in self.city_weight], k=in_house)
        owners += [("c", c) for c in operators]
        rng.shuffle(owners)
        self.service_ids: list[str] = []
        self.service_names: list[str] = []
        """As they read inside a sentence (`chatbot for home care`, `Kaiku Go: chatbot …`)."""
        self.service_names_fi: list[str] = []
        self.service_vendor: list[int | None] = []
        self.service_created: list[datetime] = []
        self.service_retired: list[datetime | None] = []
        self.services_of_cap: list[list[int]] = [[] for _ in self.caps]
        self.operated: list[list[int]] = [[] for _ in range(scale.cities)]
        self.vendor_caps: list[Counter] = [Counter() for _ in range(scale.vendors)]
        for s, (kind, owner) in enumerate(owners):
            self.service_node(s, kind, owner)

    def service_node(self, s: int, kind: str, owner: int) -> None:
        rng = self.rng
        caps = self.draw_caps(rng.choices((1, 2, 3, 4, 5), weights=(25, 30, 22, 13, 10))[0])
        d, t = self.text_parts(caps)
        obj, _, fi_gen, sv, themes, audiences = DOMAINS[d]
        tech, tech_fi, tech_sv, what, _, _ = TECHNIQUES[t]
        aud = self.audience(audiences)
        brand = self.vendor_brand[owner] if kind == "v" else self.city_names[owner]
        product = f"{brand} {rng.choice(PRODUCT_WORDS)}" if kind == "v" else brand
        tech_l = _lower_first(tech)
        phrase = rng.choice(
            (
                f"{tech_l} for {obj}",
                f"{obj} {tech_l} for {aud[0]}",
                f"{tech_l} for {aud[0]} in {obj}",
                f"{tech_l} for {obj} ({aud[0]})",
            )
        )
        name = phrase if rng.random() < 0.5 else f"{product}: {phrase}"
        name_fi = f"{_cap(fi_gen)} {tech_fi} {aud[1]}"
        name_sv = f"{_cap(tech_sv)} för {sv}" if rng.random() < 0.3 else None
        extra = rng.choice(SERVICE_EXTRAS)
        who = f" Built and run in-house by {brand}." if kind == "c" else ""
        created = self.created(60, 3650)
        retired = None
        if rng.random() < RETIRED_SHARE:
            age = (BASE - created).days
            retired = created + timedelta(days=rng.randint(min(180, age - 1), age - 1), hours=12)
        service_id = _gid("Service", s + 1, 6)
        self.node(
            "Service",
            service_id,
            created,
            retired or created + timedelta(days=rng.randint(0, 60)),
            name=_cap(name),
            name_fi=name_fi,
            name_sv=name_sv,
            description=f"{what[0].upper()}{what[1:]} – for {aud[0]} in {obj}.{who} {extra[0]}",
            description_fi=f"{name_fi}. {extra[1]}" if rng.random() < 0.4 else None,
            externalId=f"{brand[:3].upper()}-{s + 1:06d}" if kind == "v" else None,
            lifecycle="RETIRED" if retired else "ACTIVE",
            retiredAt=_ts(retired) if retired else None,
            retiredReason=rng.choice(RETIRED_REASONS) if retired else None,
        )
        self.service_ids.append(service_id)
        self.service_names.append(name)
        self.service_names_fi.append(name_fi)
        self.service_created.append(created)
        self.service_retired.append(retired)
        if kind == "v":
            self.link("OFFERS", self.vendor_ids[owner], service_id)
            self.service_vendor.append(owner)
            self.vendor_caps[owner].update(self.caps[c][1] for c in caps)
        else:
            self.link("OPERATES", self.city_ids[owner], service_id)
            self.service_vendor.append(None)
            self.operated[owner].append(s)
        for c in caps:
            self.services_of_cap[c].append(s)
            self.link("HAS_CAPABILITY", service_id, self.caps[c][0])
        self.service_addresses(service_id, caps, kind, owner, themes)

    def service_addresses(self, service_id: str, caps: list[int], kind: str, owner: int, themes) -> None:
        rng = self.rng
        wanted = rng.choices((0, 1, 2), weights=(30, 50, 20))[0]
        needs: dict[int, None] = {}
        for _ in range(wanted * 3):
            if len(needs) >= wanted:
                break
            if kind == "c" and self.needs_of_city[owner]:
                pool = [n for n in self.needs_of_city[owner] if set(self.need_caps[n]) & set(caps)]
                if pool:
                    needs[rng.choice(pool)] = None
                    continue
            pool = self.needs_of_cap[rng.choice(caps)]
            if pool:
                needs[rng.choice(pool)] = None
        for n in needs:
            self.link("ADDRESSES", service_id, self.need_ids[n])
        keys = list(themes) + [k for k in THEMES if k not in themes]
        for key in keys[: rng.choices((0, 1, 2), weights=(20, 55, 25))[0]]:
            self.link("ADDRESSES", service_id, self.theme_ids[key])

    def describe_vendors(self) -> None:
        """Vendor descriptions name the domains their offerings actually cover."""
        rng = self.rng
        for v, rec in enumerate(self.vendor_records):
            offered = self.vendor_caps[v]
            domains = [DOMAINS[d][0] for d, _ in sorted(offered.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
            kind = rng.choice(VENDOR_KINDS)
            focus = ", ".join(domains[:-1]) + (" and " if len(domains) > 1 else "") + domains[-1]
            rec["description"] = f"{kind} serving municipalities in {focus}."

    def uses(self) -> None:
        rng, scale = self.rng, self.scale
        offered = [s for s, v in enumerate(self.service_vendor) if v is not None]
        popularity = list(itertools.accumulate(rng.paretovariate(1.5) for _ in offered))
        regional = {r: rng.sample(offered, min(len(offered), 2000)) for r in range(scale.regions)}
        for city in range(scale.cities):
            wanted = rng.randint(*USES_PER_CITY)
            chosen = dict.fromkeys(self.operated[city])
            pool = regional[self.city_region[city]]
            for _ in range(wanted * 3):
                if len(chosen) >= wanted:
                    break
                if rng.random() < 0.5:
                    chosen[rng.choice(pool)] = None
                else:
                    i = bisect.bisect(popularity, rng.random() * popularity[-1])
                    chosen[offered[min(i, len(offered) - 1)]] = None
            for s in chosen:
                self.use(city, s)

    def use(self, city: int, s: int) -> None:
        """USES since a day in the service's life; until its retirement, if retired."""
        created, retired = self.service_created[s], self.service_retired[s]
        since = created + timedelta(days=self.rng.randint(0, max(0, ((retired or BASE) - created).days - 1)))
        props = {"since": since.date().isoformat()}
        if retired:
            props["until"] = retired.date().isoformat()
        self.link("USES", self.city_ids[city], self.service_ids[s], **props)

    # Pilots and decisions ------------------------------------------------------------------
    def pilots(self) -> None:
        rng, scale = self.rng, self.scale
        self.decisions = 0
        self.city_pilot_caps: list[list[tuple[int, str]]] = [[] for _ in range(scale.cities)]
        cities = [c for c in range(scale.cities) if self.needs_of_city[c]]
        weights = [self.city_weight[c] for c in cities]
        for p in range(scale.pilots):
            city = rng.choices(cities, weights=weights)[0]
            self.pilot(p, city, _pick(rng, PILOT_STATUSES))

    def pilot(self, p: int, city: int, status: str) -> None:
        rng = self.rng
        needs = rng.sample(
            self.needs_of_city[city], min(len(self.needs_of_city[city]), rng.choice((1, 1, 2)))
        )
        caps = list(dict.fromkeys(c for n in needs for c in self.need_caps[n]))
        services: dict[int, None] = {}
        for _ in range(rng.choices((1, 2, 3), weights=(50, 35, 15))[0]):
            pool = self.services_of_cap[rng.choice(caps)]
            services[
                rng.choice(pool) if pool and rng.random() < 0.9 else rng.randrange(len(self.service_ids))
            ] = None
        d, t = self.text_parts(caps)
        obj, _, fi_gen, _, _, audiences = DOMAINS[d]
        tech, tech_fi, _, _, _, _ = TECHNIQUES[t]
        aud = self.audience(audiences)
        first = self.service_names[next(iter(services))]
        city_name = self.city_names[city]
        title, title_fi = rng.choice(
            (
                (f"{tech} in {obj}", f"{_cap(fi_gen)} {tech_fi} – kokeilu"),
                (f"Trial: {first}", f"Kokeilu: {self.service_names_fi[next(iter(services))]}"),
                (f"{city_name}: {_lower_first(tech)} for {aud[0]}", f"{city_name}: {tech_fi} {aud[1]}"),
            )
        )
        dates = self.pilot_dates(status)
        pilot_id = _gid("Pilot", p + 1, 6)
        self.node(
            "Pilot",
            pilot_id,
            dates.pop("created"),
            dates.pop("updated"),
            title=_cap(title),
            title_fi=title_fi,
            description=(
                f"{city_name} tries {_lower_first(tech)} in {obj} to meet the need "
                f"“{self.need_titles[needs[0]]}”. {rng.choice(PILOT_METHODS)}"
            ),
            status=status,
            budgetEur=float(round(rng.lognormvariate(10.2, 0.8), -2)) if rng.random() < 0.9 else None,
            cancelReason=rng.choice(CANCEL_REASONS) if status == "CANCELLED" else None,
            **{k: v for k, v in dates.items() if not k.startswith("_")},
        )
        self.link("RUNS", self.city_ids[city], pilot_id)
        for n in needs:
            self.link("FOR_NEED", pilot_id, self.need_ids[n])
        for s in services:
            self.link("TRIALS", pilot_id, self.service_ids[s])
        for v in dict.fromkeys(
            self.service_vendor[s] for s in services if self.service_vendor[s] is not None
        ):
            self.link("PARTNER", pilot_id, self.vendor_ids[v])
        context = {
            "service": first,
            "technique": _lower_first(tech),
            "technique_lower": _lower_first(tech),
            "object": obj,
            "audience": aud[0],
        }
        outcome = None
        if status == "DECIDED":
            outcome = self.decide(pilot_id, city_name, dates["_decided"], context)
        ring = {"DEVELOP": "ADOPT", "DROP": "EXCLUDE", "LEARNED": "WATCH"}.get(outcome or "")
        ring = ring or ("TRIAL" if status == "RUNNING" else None)
        if ring:
            self.city_pilot_caps[city].append((caps[0], ring))

    def pilot_dates(self, status: str) -> dict[str, Any]:
        """Dates and timestamps that agree with the status; `created`/`updated` for the record."""
        rng = self.rng
        out: dict[str, Any] = {}
        duration = rng.randint(60, 400)
        if status in ("DECIDED", "ENDED"):
            superseded = status == "DECIDED" and rng.random() < SUPERSEDED_SHARE
            low = 430 if superseded else 70 if status == "DECIDED" else 5
            end = BASE_DAY - timedelta(days=rng.randint(low, low + 2200))
            start = end - timedelta(days=duration)
            started = datetime.combine(start, datetime.min.time()) + timedelta(hours=rng.randint(6, 9))
            ended = datetime.combine(end, datetime.min.time()) + timedelta(days=rng.randint(0, 3), hours=15)
            out.update(startDate=start, endDate=end, startedAt=started, endedAt=ended, updated=ended)
            if status == "DECIDED":
                moments = [ended + timedelta(days=rng.randint(3, 60), hours=rng.randint(0, 2))]
                if superseded:
                    moments.append(moments[0] + timedelta(days=rng.randint(30, 360)))
                out.update(_decided=moments, updated=moments[-1])
        elif status == "RUNNING":
            start = BASE_DAY - timedelta(days=rng.randint(20, 700))
            started = datetime.combine(start, datetime.min.time()) + timedelta(hours=rng.randint(6, 9))
            out.update(
                startDate=start, endDate=start + timedelta(days=duration), startedAt=started, updated=started
            )
        elif status == "PROPOSED":
            if rng.random() < 0.6:
                start = BASE_DAY + timedelta(days=rng.randint(14, 300))
                out.update(startDate=start, endDate=start + timedelta(days=duration))
        else:  # CANCELLED, half of them after starting
            start = BASE_DAY - timedelta(days=rng.randint(60, 1500))
            out.update(startDate=start, endDate=start + timedelta(days=duration))
            begun = datetime.combine(start, datetime.min.time()) + timedelta(hours=8)
            if rng.random() < 0.5:
                out["startedAt"] = begun
                cancelled = begun + timedelta(days=rng.randint(5, min(duration, (BASE - begun).days - 1)))
            else:
                cancelled = begun - timedelta(days=rng.randint(1, 30))
            out.update(cancelledAt=cancelled, updated=cancelled)
        first = out.get("startedAt") or out.get("cancelledAt") or BASE
        out["created"] = first - timedelta(days=rng.randint(20, 200), seconds=rng.randrange(86_400))
        out.setdefault("updated", out["created"])
        for key in ("startDate", "endDate"):
            if key in out:
                out[key] = out[key].isoformat()
        for key in ("startedAt", "endedAt", "cancelledAt"):
            if key in out:
                out[key] = _ts(out[key])
        return out

    def decide(self, pilot_id: str, city_name: str, moments: list[datetime], context) -> str:
        """One decision per moment, each superseding the one before; returns the current outcome."""
        outcome, previous = _pick(self.rng, OUTCOMES), None
        for when in moments:
            if previous:
                outcome = self.rng.choice([o for o in OUTCOMES if o != outcome])
            current = self.decision(pilot_id, city_name, when, outcome, context)
            if previous:
                self.link("SUPERSEDES", current, previous)
            previous = current
        return outcome

    def decision(self, pilot_id: str, city_name: str, when: datetime, outcome: str, context) -> str:
        rng = self.rng
        self.decisions += 1
        decision_id = _gid("Decision", self.decisions, 6)
        steps = NEXT_STEPS[outcome]
        n_steps = rng.randint(1, 3) if outcome == "DEVELOP" else rng.choice((0, 0, 1))
        self.node(
            "Decision",
            decision_id,
            when,
            outcome=outcome,
            rationale=_cap(rng.choice(RATIONALES[outcome]).format(**context)),
            lessons=rng.sample(LESSONS, rng.randint(1, 3)),
            nextSteps=[s.format(**context) for s in rng.sample(steps, min(n_steps, len(steps)))] or None,
            decidedBy=f"{city_name} {rng.choice(DECIDERS)}",
            decidedAt=_ts(when),
        )
        self.link("DECIDED", pilot_id, decision_id)
        return decision_id

    # Stances -------------------------------------------------------------------------------
    def stances(self) -> None:
        rng = self.rng
        earlier = {"TRIAL": "WATCH", "ADOPT": "TRIAL", "EXCLUDE": "WATCH"}
        for city in range(self.scale.cities):
            rings: dict[int, str] = {}
            for cap, ring in self.city_pilot_caps[city][: STANCES_PER_CITY // 2]:
                rings.setdefault(cap, ring)
            while len(rings) < STANCES_PER_CITY:
                rings.setdefault(
                    self.cap_draw.one(), rng.choices(list(STANCE_TEXT), weights=(40, 20, 30, 10))[0]
                )
            for cap, ring in rings.items():
                since = rng.randint(1, 1500)
                if ring in earlier and rng.random() < 0.15:
                    self.stance(city, cap, earlier[ring], since + rng.randint(60, 700))
                self.stance(city, cap, ring, since)

    def stance(self, city: int, cap: int, ring: str, days_ago: int) -> None:
        name = self.nodes["Capability"][cap]["name"]
        self.link(
            "STANCE",
            self.city_ids[city],
            self.caps[cap][0],
            ring=ring,
            since=_ts(_days_ago(days_ago)),
            rationale=STANCE_TEXT[ring].format(name=name),
        )


_ASCII = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ü": "u", "õ": "o", "é": "e", "ø": "o"})


def bundle_counts(bundle: dict[str, Any]) -> tuple[int, int]:
    """(nodes, relationships) in a bundle."""
    nodes = sum(len(rows) for rows in bundle["nodes"].values())
    rels = sum(len(rows) for rows in bundle["relationships"].values())
    return nodes, rels
