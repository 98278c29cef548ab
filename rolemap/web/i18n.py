# ruff: noqa: E501 (a catalogue of sentences: one message a line reads best)
"""The pages' own words in Finnish, Swedish and English, and the choice of language.

Records carry their names in the three languages (see rolemap/domain/i18n.py); this module has the
rest: labels, headings, the names of roles, rings and outcomes, and the use cases' error codes. A
message is looked up by its English text (or by a short key for long passages); a text with no
translation shows in English.
"""

from __future__ import annotations

from collections.abc import Callable

from ..domain.errors import Code, UserError

LANGUAGES = ("fi", "sv", "en")
DEFAULT = "en"
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}


def negotiate(accept_language: str) -> str:
    """The best of fi, sv and en for an Accept-Language header (RFC 9110 q-values); English
    when none of them is asked for."""
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # the earlier of equal weights wins
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


# fmt: off
MESSAGES: dict[str, dict[str, str]] = {
    # Layout
    "Skip to content": {"fi": "Siirry sisältöön", "sv": "Hoppa till innehållet"},
    "Main menu": {"fi": "Päävalikko", "sv": "Huvudmeny"},
    "Language": {"fi": "Kieli", "sv": "Språk"},
    "Cities": {"fi": "Kaupungit", "sv": "Städer"},
    "Procurement": {"fi": "Hankinnat", "sv": "Upphandling"},
    "Signed in as": {"fi": "Kirjautuneena", "sv": "Inloggad som"},
    "Sign in": {"fi": "Kirjaudu sisään", "sv": "Logga in"},
    "Sign out": {"fi": "Kirjaudu ulos", "sv": "Logga ut"},
    "rolemap: an open registry of cities' needs, services, vendors and pilots.": {
        "fi": "rolemap: avoin rekisteri kaupunkien tarpeista, palveluista, toimittajista ja kokeiluista.",
        "sv": "rolemap: ett öppet register över städers behov, tjänster, leverantörer och piloter.",
    },
    "The same data as a GraphQL API": {"fi": "Samat tiedot GraphQL-rajapintana", "sv": "Samma data som ett GraphQL-API"},
    "City views": {"fi": "Kaupungin näkymät", "sv": "Stadens vyer"},
    "Overview": {"fi": "Yleiskuva", "sv": "Översikt"},
    "Role map": {"fi": "Roolikartta", "sv": "Rollkarta"},
    "Overlaps": {"fi": "Päällekkäisyydet", "sv": "Överlappningar"},
    "Radar": {"fi": "Tutka", "sv": "Radar"},
    "Procurement queue": {"fi": "Päätösjono", "sv": "Beslutskö"},
    "Legend": {"fi": "Selite", "sv": "Teckenförklaring"},
    # Home
    "Cities and regions": {"fi": "Kaupungit ja seudut", "sv": "Städer och regioner"},
    "The role map of cities' digital services": {
        "fi": "Kaupunkien digipalveluiden roolikartta", "sv": "Rollkartan över städers digitala tjänster",
    },
    "intro-1": {
        "en": "Which needs a city has, which services and vendors answer them, and which pilots it runs: "
              "so that overlapping services and duplicate pilots are spotted, and every pilot ends with a "
              "recorded decision — what was learned, what is developed further, what is dropped.",
        "fi": "Mitä tarpeita kaupungilla on, mitkä palvelut ja toimittajat vastaavat niihin ja mitä "
              "kokeiluja se tekee: jotta päällekkäiset palvelut ja kokeilut huomataan ja jokainen kokeilu "
              "päättyy kirjattuun päätökseen — mitä on opittu, mitä kehitetään, mistä luovutaan.",
        "sv": "Vilka behov en stad har, vilka tjänster och leverantörer som svarar på dem och vilka "
              "piloter den driver: så att överlappande tjänster och dubbla piloter upptäcks och varje pilot "
              "slutar med ett registrerat beslut — vad man lärt sig, vad som utvecklas, vad man avstår från.",
    },
    "intro-2": {
        "en": "For a city's CIO office, for procurement and for vendors. Choose a city or a region below; "
              "each page has a link you can share.",
        "fi": "Kaupungin tietohallinnolle, hankinnoille ja toimittajille. Valitse kaupunki tai seutu alta; "
              "jokaisella sivulla on jaettava osoite.",
        "sv": "För stadens IT-ledning, för upphandlare och för leverantörer. Välj en stad eller region nedan; "
              "varje sida har en adress som går att dela.",
    },
    "Other cities": {"fi": "Muut kaupungit", "sv": "Övriga städer"},
    "For procurement": {"fi": "Hankinnoille", "sv": "För upphandlare"},
    "Pilots awaiting a decision, outcomes and decisions": {
        "fi": "Päätöstä odottavat kokeilut, tulokset ja päätökset",
        "sv": "Piloter som väntar på beslut, utfall och beslut",
    },
    # City kinds, statuses
    "MUNICIPALITY": {"en": "Municipality", "fi": "Kunta", "sv": "Kommun"},
    "REGION": {"en": "Region", "fi": "Seutu", "sv": "Region"},
    "METROPOLIS": {"en": "Metropolis", "fi": "Metropoli", "sv": "Metropol"},
    "NETWORK": {"en": "Network", "fi": "Verkosto", "sv": "Nätverk"},
    "OPEN": {"en": "open", "fi": "avoin", "sv": "öppet"},
    "ADDRESSED": {"en": "addressed", "fi": "ratkaistu", "sv": "åtgärdat"},
    "WITHDRAWN": {"en": "withdrawn", "fi": "peruttu", "sv": "återkallat"},
    "PROPOSED": {"en": "Proposed", "fi": "Ehdotettu", "sv": "Föreslagen"},
    "RUNNING": {"en": "Running", "fi": "Käynnissä", "sv": "Pågår"},
    "ENDED": {"en": "Ended", "fi": "Päättynyt", "sv": "Avslutad"},
    "DECIDED": {"en": "Decided", "fi": "Päätetty", "sv": "Beslutad"},
    "CANCELLED": {"en": "Cancelled", "fi": "Peruttu", "sv": "Inställd"},
    "LEARNED": {"en": "Learned", "fi": "Opittu", "sv": "Lärdom"},
    "DEVELOP": {"en": "Develop", "fi": "Kehitetään", "sv": "Utvecklas"},
    "DROP": {"en": "Drop", "fi": "Luovutaan", "sv": "Avstås"},
    "outcome-LEARNED": {"en": "concluded; the knowledge is kept, no continuation yet",
                        "fi": "päättynyt; opit talteen, ei vielä jatkoa",
                        "sv": "avslutad; kunskapen tas till vara, ingen fortsättning ännu"},
    "outcome-DEVELOP": {"en": "continue, scale or procure", "fi": "jatketaan, laajennetaan tai hankitaan",
                        "sv": "fortsätt, skala upp eller upphandla"},
    "outcome-DROP": {"en": "stop: a negative choice", "fi": "lopetetaan: kielteinen valinta",
                     "sv": "avsluta: ett negativt val"},
    "WATCH": {"en": "Watch", "fi": "Seurataan", "sv": "Bevaka"},
    "TRIAL": {"en": "Trial", "fi": "Kokeillaan", "sv": "Pröva"},
    "ADOPT": {"en": "Adopt", "fi": "Otetaan käyttöön", "sv": "Införa"},
    "EXCLUDE": {"en": "Exclude", "fi": "Suljetaan pois", "sv": "Utesluta"},
    "IN_USE": {"en": "In use", "fi": "Käytössä", "sv": "I bruk"},
    "PILOTING": {"en": "Piloting", "fi": "Kokeilussa", "sv": "Pilot pågår"},
    "OFFERED": {"en": "Offered", "fi": "Tarjolla", "sv": "Erbjuds"},
    "USES": {"en": "uses", "fi": "käyttää", "sv": "använder"},
    "OPERATES": {"en": "runs in-house", "fi": "oma palvelu", "sv": "egen tjänst"},
    "ADMIN": {"en": "admin", "fi": "ylläpitäjä", "sv": "administratör"},
    "CITY": {"en": "city", "fi": "kaupunki", "sv": "stad"},
    "PROCUREMENT": {"en": "procurement", "fi": "hankinnat", "sv": "upphandling"},
    "VENDOR": {"en": "vendor", "fi": "toimittaja", "sv": "leverantör"},
    "READER": {"en": "reader", "fi": "lukija", "sv": "läsare"},
    # City
    "part of": {"fi": "osa", "sv": "del av"},
    "Code": {"fi": "Tunnus", "sv": "Kod"},
    "Population": {"fi": "Asukasluku", "sv": "Invånare"},
    "Website": {"fi": "Verkkosivut", "sv": "Webbplats"},
    "Reports": {"fi": "Raportit", "sv": "Rapporter"},
    "Close-out report": {"fi": "Kokeiluiden päätösraportti", "sv": "Rapport om avslutade piloter"},
    "Role map as CSV": {"fi": "Roolikartta CSV-tiedostona", "sv": "Rollkartan som CSV"},
    "Members": {"fi": "Jäsenet", "sv": "Medlemmar"},
    "Needs": {"fi": "Tarpeet", "sv": "Behov"},
    "Requires": {"fi": "Edellyttää", "sv": "Kräver"},
    "None recorded.": {"fi": "Ei kirjattu.", "sv": "Inget registrerat."},
    "Services in use": {"fi": "Käytössä olevat palvelut", "sv": "Tjänster i bruk"},
    "Service": {"fi": "Palvelu", "sv": "Tjänst"},
    "Services": {"fi": "Palvelut", "sv": "Tjänster"},
    "Vendor": {"fi": "Toimittaja", "sv": "Leverantör"},
    "How": {"fi": "Miten", "sv": "Hur"},
    "Since": {"fi": "Alkaen", "sv": "Sedan"},
    "Until": {"fi": "Asti", "sv": "Till"},
    "since": {"fi": "alkaen", "sv": "sedan"},
    "until": {"fi": "asti", "sv": "till"},
    "State": {"fi": "Tila", "sv": "Läge"},
    "claimed": {"fi": "toimittajan ilmoittama", "sv": "uppgiven av leverantören"},
    "in-house": {"fi": "oma", "sv": "egen"},
    "retired": {"fi": "poistettu käytöstä", "sv": "avvecklad"},
    "in use": {"fi": "käytössä", "sv": "i bruk"},
    "ended": {"fi": "päättynyt", "sv": "avslutad"},
    "Pilots": {"fi": "Kokeilut", "sv": "Piloter"},
    "Pilot": {"fi": "Kokeilu", "sv": "Pilot"},
    "Stances": {"fi": "Linjaukset", "sv": "Ställningstaganden"},
    "Stance": {"fi": "Linjaus", "sv": "Ställning"},
    "Capability": {"fi": "Kyvykkyys", "sv": "Förmåga"},
    "Capabilities": {"fi": "Kyvykkyydet", "sv": "Förmågor"},
    "Ring": {"fi": "Kehä", "sv": "Ring"},
    "Rationale": {"fi": "Perustelu", "sv": "Motivering"},
    "See them on the radar": {"fi": "Katso ne tutkassa", "sv": "Se dem på radarn"},
    # Role map
    "rolemap-lead": {
        "en": "Per capability, each vendor's role in the city: in use, piloting, decided (with the "
              "outcome) or offered in the registry but not used here. Each row shows the city's stance.",
        "fi": "Kunkin kyvykkyyden kohdalla jokaisen toimittajan rooli kaupungissa: käytössä, kokeilussa, "
              "päätetty (ja päätös) tai tarjolla rekisterissä mutta ei käytössä täällä. Rivillä näkyy "
              "kaupungin linjaus.",
        "sv": "Per förmåga varje leverantörs roll i staden: i bruk, pilot pågår, beslutad (med beslutet) "
              "eller erbjuden i registret men inte använd här. Varje rad visar stadens ställning.",
    },
    "Download as CSV": {"fi": "Lataa CSV-tiedostona", "sv": "Ladda ner som CSV"},
    "Capabilities {first}–{last} of {total}; the CSV has them all.": {
        "fi": "Kyvykkyydet {first}–{last}/{total}; CSV-tiedostossa ovat kaikki.",
        "sv": "Förmågor {first}–{last} av {total}; CSV-filen har alla.",
    },
    "Pages of the role map": {"fi": "Roolikartan sivut", "sv": "Sidor av rollkartan"},
    "Other pages": {"fi": "Muut sivut", "sv": "Andra sidor"},
    "The role map as a matrix: capabilities down, vendors across. Each cell links to its services and pilots in the table below.": {
        "fi": "Roolikartta matriisina: kyvykkyydet alaspäin, toimittajat vaakasuunnassa. Jokainen solu "
              "linkittää palveluihinsa ja kokeiluihinsa alla olevassa taulukossa.",
        "sv": "Rollkartan som matris: förmågor nedåt, leverantörer i sidled. Varje cell länkar till sina "
              "tjänster och piloter i tabellen nedan.",
    },
    "Capabilities down, vendors across; the table below says the same in text.": {
        "fi": "Kyvykkyydet alaspäin, toimittajat vaakasuunnassa; alla oleva taulukko kertoo saman tekstinä.",
        "sv": "Förmågor nedåt, leverantörer i sidled; tabellen nedan säger samma sak i text.",
    },
    "The role map as a table": {"fi": "Roolikartta taulukkona", "sv": "Rollkartan som tabell"},
    "Nothing on the role map yet.": {"fi": "Roolikartalla ei ole vielä mitään.", "sv": "Rollkartan är ännu tom."},
    # Overlaps
    "overlaps-lead-city": {
        "en": "Services used, run or piloted in the city that do the same thing, ranked by score. The "
              "coloured parts of each bar are the reasons; their weights add up to the score.",
        "fi": "Kaupungissa käytetyt, ylläpidetyt tai kokeillut palvelut, jotka tekevät samaa, "
              "pistemäärän mukaan. Palkin väriosat ovat syyt; niiden painot muodostavat pistemäärän.",
        "sv": "Tjänster som används, drivs eller prövas i staden och gör samma sak, rangordnade efter "
              "poäng. Stapelns färgade delar är skälen; deras vikter blir tillsammans poängen.",
    },
    "overlaps-lead-region": {
        "en": "Services used, run or piloted in the region and its members that do the same thing, ranked "
              "by score. The coloured parts of each bar are the reasons; their weights add up to the score.",
        "fi": "Seudulla ja sen jäsenkunnissa käytetyt, ylläpidetyt tai kokeillut palvelut, jotka tekevät "
              "samaa, pistemäärän mukaan. Palkin väriosat ovat syyt; niiden painot muodostavat pistemäärän.",
        "sv": "Tjänster som används, drivs eller prövas i regionen och dess medlemmar och gör samma sak, "
              "rangordnade efter poäng. Stapelns färgade delar är skälen; deras vikter blir tillsammans poängen.",
    },
    "What to compare": {"fi": "Mitä verrataan", "sv": "Vad jämförs"},
    "kind-SERVICE": {"en": "Services", "fi": "Palvelut", "sv": "Tjänster"},
    "kind-PILOT": {"en": "Pilots (against pilots anywhere)", "fi": "Kokeilut (kaikkialla tehtyihin)",
                   "sv": "Piloter (mot piloter överallt)"},
    "kind-VENDOR": {"en": "Vendors", "fi": "Toimittajat", "sv": "Leverantörer"},
    "Reasons": {"fi": "Syyt", "sv": "Skäl"},
    "capability": {"fi": "kyvykkyys", "sv": "förmåga"},
    "need": {"fi": "tarve", "sv": "behov"},
    "theme": {"fi": "teema", "sv": "tema"},
    "text": {"fi": "teksti", "sv": "text"},
    "place": {"fi": "paikka", "sv": "plats"},
    "decision": {"fi": "päätös", "sv": "beslut"},
    "complement": {"fi": "täydentävä", "sv": "kompletterande"},
    "cooling-off": {"fi": "jäähdyttely", "sv": "karens"},
    "What overlaps with what": {"fi": "Mikä menee päällekkäin minkä kanssa", "sv": "Vad som överlappar med vad"},
    "A network of the overlapping items: a line joins each pair, thicker for a higher score. The ranked list below says the same.": {
        "fi": "Päällekkäisyyksien verkosto: viiva yhdistää kunkin parin, sitä paksumpi mitä suurempi "
              "pistemäärä. Alla oleva järjestetty luettelo kertoo saman.",
        "sv": "Ett nätverk av det som överlappar: en linje förbinder varje par, tjockare ju högre poäng. "
              "Den rangordnade listan nedan säger samma sak.",
    },
    "Each line is one of the pairs listed below; a thicker line, a higher score.": {
        "fi": "Jokainen viiva on yksi alla luetelluista pareista; paksumpi viiva, suurempi pistemäärä.",
        "sv": "Varje linje är ett av paren nedan; tjockare linje, högre poäng.",
    },
    "Ranked pairs": {"fi": "Parit järjestyksessä", "sv": "Rangordnade par"},
    "and": {"fi": "ja", "sv": "och"},
    "Score": {"fi": "Pisteet", "sv": "Poäng"},
    "No overlaps scoring at least {score}.": {
        "fi": "Ei päällekkäisyyksiä, joiden pistemäärä on vähintään {score}.",
        "sv": "Inga överlappningar med minst {score} poäng.",
    },
    # Radar
    "radar-lead": {
        "en": "The city's stance on each capability: adopt, trial, watch or exclude, with its history, and "
              "the ring its own pilot decisions suggest.",
        "fi": "Kaupungin linjaus kustakin kyvykkyydestä: otetaan käyttöön, kokeillaan, seurataan tai "
              "suljetaan pois, sen historia sekä kehä, jota kaupungin omat kokeilupäätökset ehdottavat.",
        "sv": "Stadens ställning till varje förmåga: införa, pröva, bevaka eller utesluta, med dess "
              "historik, och den ring som stadens egna pilotbeslut föreslår.",
    },
    "The radar: ADOPT in the middle, then TRIAL, WATCH and EXCLUDE outside. Each numbered dot is a capability in the table beside it.": {
        "fi": "Tutka: keskellä otetaan käyttöön, sitten kokeillaan, seurataan ja uloimpana suljetaan pois. "
              "Jokainen numeroitu piste on taulukon kyvykkyys.",
        "sv": "Radarn: införa i mitten, sedan pröva, bevaka och ytterst utesluta. Varje numrerad punkt är en "
              "förmåga i tabellen.",
    },
    "A dashed ring around a dot: the city's decisions suggest another ring.": {
        "fi": "Katkoviiva pisteen ympärillä: kaupungin päätökset ehdottavat toista kehää.",
        "sv": "En streckad ring runt en punkt: stadens beslut föreslår en annan ring.",
    },
    "A hollow dot: no stance yet, placed in the ring the decisions suggest.": {
        "fi": "Ontto piste: ei vielä linjausta, sijoitettu kehälle, jota päätökset ehdottavat.",
        "sv": "En ihålig punkt: ingen ställning ännu, placerad i den ring som besluten föreslår.",
    },
    "Capabilities on the radar": {"fi": "Tutkan kyvykkyydet", "sv": "Förmågor på radarn"},
    "History": {"fi": "Historia", "sv": "Historik"},
    "Suggested from decisions": {"fi": "Päätösten ehdotus", "sv": "Förslag utifrån beslut"},
    "no stance yet": {"fi": "ei vielä linjausta", "sv": "ingen ställning ännu"},
    "unchanged since {day}": {"fi": "ennallaan {day} alkaen", "sv": "oförändrad sedan {day}"},
    "differs from the current ring": {"fi": "eri kuin nykyinen kehä", "sv": "skiljer sig från nuvarande ring"},
    "No stances or decided pilots yet.": {"fi": "Ei vielä linjauksia eikä päätettyjä kokeiluja.",
                                          "sv": "Inga ställningstaganden eller beslutade piloter ännu."},
    # Pilot
    "The plan": {"fi": "Suunnitelma", "sv": "Planen"},
    "City": {"fi": "Kaupunki", "sv": "Stad"},
    "Budget": {"fi": "Budjetti", "sv": "Budget"},
    "Services trialled": {"fi": "Kokeillut palvelut", "sv": "Prövade tjänster"},
    "Partners": {"fi": "Kumppanit", "sv": "Partner"},
    "Cancelled because": {"fi": "Peruttu, koska", "sv": "Inställd eftersom"},
    "Success criteria": {"fi": "Onnistumisen mittarit", "sv": "Framgångskriterier"},
    "Start the pilot": {"fi": "Aloita kokeilu", "sv": "Starta piloten"},
    "End the pilot": {"fi": "Päätä kokeilu", "sv": "Avsluta piloten"},
    "Prior art": {"fi": "Aiemmat kokeilut", "sv": "Tidigare erfarenheter"},
    "prior-art-lead": {
        "en": "Earlier pilots like this one, here and in other cities, and what was decided about them.",
        "fi": "Tämän kaltaiset aiemmat kokeilut täällä ja muissa kaupungeissa sekä mitä niistä päätettiin.",
        "sv": "Tidigare piloter som liknar den här, här och i andra städer, och vad som beslutades om dem.",
    },
    "Lessons": {"fi": "Opit", "sv": "Lärdomar"},
    "No decision yet": {"fi": "Ei vielä päätöstä", "sv": "Inget beslut ännu"},
    "Why it matches": {"fi": "Miksi se vastaa tätä", "sv": "Varför den liknar"},
    "No similar pilots found.": {"fi": "Samankaltaisia kokeiluja ei löytynyt.", "sv": "Inga liknande piloter hittades."},
    "Decisions": {"fi": "Päätökset", "sv": "Beslut"},
    "superseded": {"fi": "korvattu", "sv": "ersatt"},
    "current; supersedes the ones below": {"fi": "voimassa; korvaa alla olevat", "sv": "gällande; ersätter de nedan"},
    "Next steps": {"fi": "Jatkotoimet", "sv": "Nästa steg"},
    "Results": {"fi": "Tulokset", "sv": "Resultat"},
    "met": {"fi": "saavutettu", "sv": "uppnått"},
    "not met": {"fi": "ei saavutettu", "sv": "ej uppnått"},
    "No decision recorded yet.": {"fi": "Päätöstä ei ole vielä kirjattu.", "sv": "Inget beslut har registrerats ännu."},
    "Close-out: record a decision": {"fi": "Päättäminen: kirjaa päätös", "sv": "Avslut: registrera ett beslut"},
    "A decision is recorded once the pilot has ended or was cancelled.": {
        "fi": "Päätös kirjataan, kun kokeilu on päättynyt tai peruttu.",
        "sv": "Ett beslut registreras när piloten har avslutats eller ställts in.",
    },
    "Sign in to record a decision": {"fi": "Kirjaudu sisään kirjataksesi päätöksen",
                                     "sv": "Logga in för att registrera ett beslut"},
    "Your role may not record decisions for this pilot.": {
        "fi": "Roolisi ei salli päätösten kirjaamista tälle kokeilulle.",
        "sv": "Din roll får inte registrera beslut för den här piloten.",
    },
    "Not saved: please correct these": {"fi": "Ei tallennettu: korjaa nämä", "sv": "Inte sparat: rätta till följande"},
    "Outcome": {"fi": "Päätös", "sv": "Beslut"},
    "Why: at least 20 characters.": {"fi": "Miksi: vähintään 20 merkkiä.", "sv": "Varför: minst 20 tecken."},
    "Lessons learned": {"fi": "Mitä opittiin", "sv": "Lärdomar"},
    "One per line; at least one.": {"fi": "Yksi riville; vähintään yksi.", "sv": "En per rad; minst en."},
    "One per line; required for DEVELOP.": {"fi": "Yksi riville; pakollinen, kun kehitetään.",
                                            "sv": "En per rad; krävs för Utvecklas."},
    "Results against the success criteria": {"fi": "Tulokset mittareittain", "sv": "Resultat mot kriterierna"},
    "target": {"fi": "tavoite", "sv": "mål"},
    "Procurement reference (DEVELOP only)": {"fi": "Hankinnan tunniste (vain kun kehitetään)",
                                             "sv": "Upphandlingsreferens (endast Utvecklas)"},
    "Decided by": {"fi": "Päättäjä", "sv": "Beslutat av"},
    "Record the decision": {"fi": "Kirjaa päätös", "sv": "Registrera beslutet"},
    "The decision is recorded.": {"fi": "Päätös on kirjattu.", "sv": "Beslutet är registrerat."},
    "The pilot has started.": {"fi": "Kokeilu on alkanut.", "sv": "Piloten har startat."},
    "The pilot has ended.": {"fi": "Kokeilu on päättynyt.", "sv": "Piloten har avslutats."},
    "Not done: {reason}": {"fi": "Ei tehty: {reason}", "sv": "Inte gjort: {reason}"},
    # Procurement
    "procurement-lead": {
        "en": "Which pilots still owe a decision, how vendors and capabilities fare across pilots, and "
              "what was decided and why.",
        "fi": "Mitkä kokeilut odottavat yhä päätöstä, miten toimittajat ja kyvykkyydet ovat pärjänneet "
              "kokeiluissa sekä mitä on päätetty ja miksi.",
        "sv": "Vilka piloter som fortfarande väntar på beslut, hur leverantörer och förmågor klarat sig i "
              "piloter, och vad som beslutats och varför.",
    },
    "Back to {city}": {"fi": "Takaisin: {city}", "sv": "Tillbaka till {city}"},
    "All cities": {"fi": "Kaikki kaupungit", "sv": "Alla städer"},
    "Awaiting a decision": {"fi": "Odottavat päätöstä", "sv": "Väntar på beslut"},
    "Most overdue first.": {"fi": "Eniten myöhässä olevat ensin.", "sv": "Mest försenade först."},
    "Showing the first {n}.": {"fi": "Näytetään ensimmäiset {n}.", "sv": "Visar de första {n}."},
    "Why": {"fi": "Syy", "sv": "Orsak"},
    "Due since": {"fi": "Erääntynyt", "sv": "Förfallen sedan"},
    "Days overdue": {"fi": "Päiviä myöhässä", "sv": "Dagar försenad"},
    "RUNNING_PAST_END": {"en": "running past its end date", "fi": "käynnissä yli päättymispäivän",
                         "sv": "pågår efter slutdatum"},
    "ENDED_WITHOUT_DECISION": {"en": "ended without a decision", "fi": "päättynyt ilman päätöstä",
                               "sv": "avslutad utan beslut"},
    "CANCELLED_WITHOUT_DECISION": {"en": "cancelled without a decision", "fi": "peruttu ilman päätöstä",
                                   "sv": "inställd utan beslut"},
    "NO_END_DATE": {"en": "no end date, running too long", "fi": "ei päättymispäivää, kestänyt liian kauan",
                    "sv": "inget slutdatum, pågått för länge"},
    "No pilot owes a decision.": {"fi": "Yksikään kokeilu ei odota päätöstä.", "sv": "Ingen pilot väntar på beslut."},
    "Outcomes": {"fi": "Tulokset", "sv": "Utfall"},
    "Per vendor": {"fi": "Toimittajittain", "sv": "Per leverantör"},
    "Per capability": {"fi": "Kyvykkyyksittäin", "sv": "Per förmåga"},
    "Pilots per group, split by where they stand; the table says the same in numbers.": {
        "fi": "Kokeilut ryhmittäin tilan mukaan jaoteltuina; taulukko kertoo saman lukuina.",
        "sv": "Piloter per grupp, uppdelade efter läge; tabellen säger samma sak i siffror.",
    },
    "seg-in_progress": {"en": "in progress", "fi": "käynnissä", "sv": "pågår"},
    "seg-awaiting": {"en": "awaiting a decision", "fi": "odottaa päätöstä", "sv": "väntar på beslut"},
    "seg-LEARNED": {"en": "learned", "fi": "opittu", "sv": "lärdom"},
    "seg-DEVELOP": {"en": "develop", "fi": "kehitetään", "sv": "utvecklas"},
    "seg-DROP": {"en": "drop", "fi": "luovutaan", "sv": "avstås"},
    "none": {"fi": "ei mitään", "sv": "ingen"},
    "No pilots.": {"fi": "Ei kokeiluja.", "sv": "Inga piloter."},
    "City or region": {"fi": "Kaupunki tai seutu", "sv": "Stad eller region"},
    "All": {"fi": "Kaikki", "sv": "Alla"},
    "The vendor's id, e.g. {example}": {"fi": "Toimittajan tunniste, esim. {example}",
                                        "sv": "Leverantörens id, t.ex. {example}"},
    "Decided since": {"fi": "Päätetty alkaen", "sv": "Beslutad från"},
    "Decided until": {"fi": "Päätetty asti", "sv": "Beslutad till"},
    "Current decisions only": {"fi": "Vain voimassa olevat päätökset", "sv": "Endast gällande beslut"},
    "Filter": {"fi": "Suodata", "sv": "Filtrera"},
    "Download these decisions as CSV": {"fi": "Lataa nämä päätökset CSV-tiedostona",
                                        "sv": "Ladda ner dessa beslut som CSV"},
    "Decided": {"fi": "Päätetty", "sv": "Beslutad"},
    "No decisions match.": {"fi": "Ei vastaavia päätöksiä.", "sv": "Inga beslut matchar."},
    "Pages of decisions": {"fi": "Päätösten sivut", "sv": "Sidor med beslut"},
    "Previous": {"fi": "Edellinen", "sv": "Föregående"},
    "Next": {"fi": "Seuraava", "sv": "Nästa"},
    "Page {page} of {pages}": {"fi": "Sivu {page}/{pages}", "sv": "Sida {page} av {pages}"},
    "Some filters were not understood and are left out: {names}": {
        "fi": "Osaa suodattimista ei ymmärretty, ja ne jätettiin pois: {names}",
        "sv": "Några filter förstods inte och utelämnades: {names}",
    },
    # Vendor and service
    "illustrative": {"fi": "kuvitteellinen esimerkki", "sv": "påhittat exempel"},
    "Business id": {"fi": "Y-tunnus", "sv": "FO-nummer"},
    "Country": {"fi": "Maa", "sv": "Land"},
    "Offerings": {"fi": "Tarjooma", "sv": "Erbjudanden"},
    "Used by": {"fi": "Käyttäjät", "sv": "Används av"},
    "Retired because": {"fi": "Poistettu käytöstä, koska", "sv": "Avvecklad eftersom"},
    "Update or retire": {"fi": "Päivitä tai poista käytöstä", "sv": "Uppdatera eller avveckla"},
    "Name": {"fi": "Nimi", "sv": "Namn"},
    "Description": {"fi": "Kuvaus", "sv": "Beskrivning"},
    "Save": {"fi": "Tallenna", "sv": "Spara"},
    "Why retire it": {"fi": "Miksi se poistetaan käytöstä", "sv": "Varför den avvecklas"},
    "Retire": {"fi": "Poista käytöstä", "sv": "Avveckla"},
    "Retire this service? Cities see it as retired from today.": {
        "fi": "Poistetaanko palvelu käytöstä? Kaupungit näkevät sen poistettuna tästä päivästä alkaen.",
        "sv": "Avveckla tjänsten? Städerna ser den som avvecklad från i dag.",
    },
    "Register an offering": {"fi": "Rekisteröi palvelu", "sv": "Registrera ett erbjudande"},
    "Your own id for it (optional)": {"fi": "Oma tunnisteenne (valinnainen)", "sv": "Ert eget id (valfritt)"},
    "Registering the same id again updates that offering.": {
        "fi": "Saman tunnisteen rekisteröinti uudelleen päivittää palvelun.",
        "sv": "Att registrera samma id igen uppdaterar erbjudandet.",
    },
    "Register": {"fi": "Rekisteröi", "sv": "Registrera"},
    "Sign in as this vendor to manage its offerings": {
        "fi": "Kirjaudu tämän toimittajan tunnuksella hallitaksesi sen palveluita",
        "sv": "Logga in som denna leverantör för att hantera dess erbjudanden",
    },
    "Track record": {"fi": "Näytöt", "sv": "Meriter"},
    "{n} pilots: {a} in progress, {b} awaiting a decision, {c} decided ({l} learned, {d} develop, {x} drop).": {
        "fi": "{n} kokeilua: {a} käynnissä, {b} odottaa päätöstä, {c} päätetty ({l} opittu, {d} kehitetään, {x} luovutaan).",
        "sv": "{n} piloter: {a} pågår, {b} väntar på beslut, {c} beslutade ({l} lärdom, {d} utvecklas, {x} avstås).",
    },
    "state-IN_PROGRESS": {"en": "in progress", "fi": "käynnissä", "sv": "pågår"},
    "state-AWAITING": {"en": "awaiting a decision", "fi": "odottaa päätöstä", "sv": "väntar på beslut"},
    "state-DECIDED": {"en": "decided", "fi": "päätetty", "sv": "beslutad"},
    "Registered: {name}": {"fi": "Rekisteröity: {name}", "sv": "Registrerad: {name}"},
    "Saved: {name}": {"fi": "Tallennettu: {name}", "sv": "Sparad: {name}"},
    "Retired: {name}": {"fi": "Poistettu käytöstä: {name}", "sv": "Avvecklad: {name}"},
    # Signing in
    "With an API key": {"fi": "API-avaimella", "sv": "Med en API-nyckel"},
    "signin-key-lead": {
        "en": "Paste the key you were given (rmk_…). The key stays with you: the session remembers only "
              "who you are, and ends when the key is revoked.",
        "fi": "Liitä saamasi avain (rmk_…). Avainta ei tallenneta: istunto muistaa vain, kuka olet, ja "
              "päättyy, kun avain perutaan.",
        "sv": "Klistra in nyckeln du fått (rmk_…). Nyckeln sparas inte: sessionen minns bara vem du är och "
              "upphör när nyckeln återkallas.",
    },
    "API key": {"fi": "API-avain", "sv": "API-nyckel"},
    "With your organisation's login": {"fi": "Organisaatiosi kirjautumisella", "sv": "Med din organisations inloggning"},
    "Continue to the login": {"fi": "Jatka kirjautumiseen", "sv": "Fortsätt till inloggningen"},
    "Signed in as {name}.": {"fi": "Kirjauduttu: {name}.", "sv": "Inloggad som {name}."},
    "Signed out.": {"fi": "Kirjauduttu ulos.", "sv": "Utloggad."},
    # Errors
    "Not found": {"fi": "Ei löytynyt", "sv": "Hittades inte"},
    "There is nothing here with that id.": {"fi": "Tällä tunnisteella ei löydy mitään.",
                                            "sv": "Det finns inget med det id:t."},
    "Not possible": {"fi": "Ei mahdollista", "sv": "Inte möjligt"},
    "Refused": {"fi": "Hylätty", "sv": "Avvisad"},
    "This form has expired or did not come from this site. Go back, reload the page and try again.": {
        "fi": "Lomake on vanhentunut tai se ei tullut tältä sivustolta. Palaa, lataa sivu uudelleen ja yritä uudestaan.",
        "sv": "Formuläret har gått ut eller kom inte från den här webbplatsen. Gå tillbaka, ladda om sidan och försök igen.",
    },
    "No identity provider is configured.": {"fi": "Tunnistuspalvelua ei ole määritetty.",
                                            "sv": "Ingen identitetsleverantör är konfigurerad."},
    "Back to the cities": {"fi": "Takaisin kaupunkeihin", "sv": "Tillbaka till städerna"},
}
# fmt: on

ERRORS: dict[str, dict[str, str]] = {
    Code.RATIONALE_TOO_SHORT: {
        "fi": "Perustele päätös vähintään 20 merkillä.",
        "sv": "Motivera beslutet med minst 20 tecken.",
    },
    Code.LESSONS_REQUIRED: {"fi": "Kirjaa vähintään yksi opittu asia.", "sv": "Ange minst en lärdom."},
    Code.NEXT_STEPS_REQUIRED: {
        "fi": "Kehittämispäätös tarvitsee vähintään yhden jatkotoimen.",
        "sv": "Ett beslut att utveckla kräver minst ett nästa steg.",
    },
    Code.UNKNOWN_CRITERION: {
        "fi": "Kokeilulla ei ole tällaista mittaria.",
        "sv": "Piloten har inget sådant kriterium.",
    },
    Code.INVALID_OCID: {
        "fi": "OCDS-tunniste on muotoa ocds-abc123-2026-001.",
        "sv": "Ett OCDS-id ser ut som ocds-abc123-2026-001.",
    },
    Code.REQUIRED: {"fi": "Pakollinen tieto puuttuu.", "sv": "Uppgiften krävs."},
    Code.INVALID: {"fi": "Arvo ei kelpaa.", "sv": "Värdet är ogiltigt."},
    Code.TOO_LONG: {"fi": "Liian pitkä.", "sv": "För lång."},
    Code.NOT_FOUND: {"fi": "Ei löytynyt.", "sv": "Hittades inte."},
    Code.DUPLICATE: {"fi": "Tämä on jo käytössä.", "sv": "Det här används redan."},
    Code.INVALID_STATE: {
        "fi": "Ei mahdollista kokeilun nykyisessä tilassa.",
        "sv": "Inte möjligt i nuvarande läge.",
    },
    Code.INVALID_URL: {"fi": "Anna osoite muodossa https://…", "sv": "Ange en adress som https://…"},
    Code.UNAUTHENTICATED: {"fi": "Kirjaudu sisään.", "sv": "Logga in."},
    Code.FORBIDDEN: {"fi": "Roolisi ei salli tätä.", "sv": "Din roll tillåter inte detta."},
}


def translator(lang: str) -> Callable[..., str]:
    """`t("Role map")` in `lang`; `t("Back to {city}", city=...)` fills in the values."""

    def t(text: str, **values) -> str:
        entry = MESSAGES.get(text)
        found = (entry.get(lang) or entry.get("en") or text) if entry else text
        return found.format(**values) if values else found

    return t


def error_text(error: UserError, lang: str) -> str:
    """A use case's error in `lang`: its own message in English, the code's meaning otherwise."""
    if lang == "en":
        return error.message[:1].upper() + error.message[1:]
    return ERRORS.get(error.code, {}).get(lang) or error.message
