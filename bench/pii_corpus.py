"""Build the labelled PII corpora: a development part, a held-out part, and the hand-written cases.

    .venv/bin/python -m bench.pii_corpus     # writes bench/corpus/pii_dev.jsonl and pii_heldout.jsonl

The split is fixed here, before any result is looked at, along two axes:

- template families: the development part fills `DEV_FAMILIES`, the held-out part
  `HELDOUT_FAMILIES`; no sentence shape of one appears in the other;
- name sources and origins: the development part draws names from Faker (the source the
  detector's lexicons were built from, see bench/pii_lexicons.py); the held-out part draws
  them from mimesis 22 (MIT) and from hand-compiled lists below, neither of which the lexicons
  were built from. Greek, Kazakh and Ethiopian names appear only in the held-out part and in no
  lexicon: origins the detector never saw. The development part has unseen origins of its own
  (Faker's Zulu, Indonesian, Thai and Azerbaijani lists, left out of the lexicons) so that
  tuning sees names no list holds, too.

Each prompt has a name form: `standard` ("Given Surname", sometimes with a title or a middle
initial), `caps` (the name, or the whole prompt, in capitals), `lower` (the whole prompt in
lower case, as people type in chats), `reversed` ("Surname, Given"), `given` (a given name
alone). Structured values vary in their written forms (grouped, compact, dotted, dashed).
Families also hold prompts without personal data but with places, companies and products, so
that precision means something. Hand-written hard cases are in bench/corpus/hard_cases.jsonl
(values, not offsets); they are a third table, never mixed into either part.

Each line: {"id", "part", "family", "text", "entities": [{"type", "value", "start", "end",
"origin", "form"}]} (origin and form for PERSON only).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from faker import Faker

from bench.romanise import cyrillic, greek, hangul_given, hangul_surname, latin

SEED = 20261201
PER_PART = 700
HERE = Path(__file__).parent / "corpus"
DEV = HERE / "pii_dev.jsonl"
HELDOUT = HERE / "pii_heldout.jsonl"
PROBE = HERE / "pii_probe.jsonl"
HARD = HERE / "hard_cases.jsonl"

# --- template families ---------------------------------------------------------------------
# Slots: {PERSON} {PERSON2} a full name in the prompt's form; {GIVEN} a given name alone;
# {EMAIL} the address of the prompt's first person (sometimes), {EMAIL2} somebody else's;
# {PHONE} {CARD} {SSN} {IBAN} {IP} {IP2}.

DEV_FAMILIES: dict[str, list[str]] = {
    "support": [
        "Hi, I'm {PERSON} from the Denver office. Can you reset my password? My work email is {EMAIL}.",
        "Customer {PERSON} called from {PHONE} about a double charge on card {CARD}.",
        "Ticket 4821: {PERSON} cannot log in to the portal since Tuesday; callback on {PHONE}.",
        "Please escalate the complaint from {PERSON} ({EMAIL}) to the Berlin team.",
        "Can you check why the payment with card number {CARD} failed for {PERSON}?",
        "The printer on floor 3 is jammed again. Who should I call at Facilities?",
        "Our Zendesk queue has 40 open tickets from Chase Bank customers; summarise the themes.",
    ],
    "crm": [
        "Update the CRM entry: {PERSON}, mobile {PHONE}, email {EMAIL}, IBAN {IBAN}.",
        "Employee record: name {PERSON}, SSN {SSN}, phone {PHONE}. Check it for typos.",
        "New lead: {PERSON}, works at Siemens in Munich, reachable at {EMAIL}.",
        "Merge the duplicate contacts {PERSON} and {PERSON2}; keep the phone {PHONE}.",
        "Background check request for {PERSON}, SSN {SSN}, phone {PHONE}.",
        "Export all Salesforce accounts in Georgia with revenue above 2 million.",
    ],
    "email": [
        "Please draft a reply to {PERSON} ({EMAIL}) thanking them for the Acme Corp renewal.",
        "Translate into German: Dear {PERSON}, your order has shipped. Questions? Call {PHONE}.",
        "Write a short bio for {PERSON}, who joined Google in 2019 as a data scientist in Zurich.",
        "Compose a polite reminder to {PERSON} that the Amazon Web Services bill is overdue.",
        "Rewrite this more formally: hey {PERSON}, send the deck to {EMAIL} asap",
        "Draft a recommendation letter for {PERSON}, a former intern at Deloitte in Chicago.",
        "Write a cover letter for a data analyst role at Spotify in Stockholm.",
    ],
    "finance": [
        "Wire the refund to IBAN {IBAN}, account holder {PERSON}.",
        "The contractor {PERSON} should be paid to {IBAN} by Friday, says finance.",
        "Payroll change: move the salary of {PERSON} to IBAN {IBAN} from next month.",
        "Chargeback dispute: cardholder {PERSON}, card {CARD}, contact {EMAIL}.",
        "Is {IBAN} a valid IBAN format for a SEPA transfer from Deutsche Bank?",
        "Tax form: taxpayer {PERSON}, SSN {SSN}. Please check the form for mistakes.",
        "Compare the fees of Wise and Revolut for transfers from Madrid to Warsaw.",
    ],
    "it_ops": [
        "Summarize: {PERSON} reported that the VPN gateway at {IP} drops connections every hour.",
        "Login attempts from {IP} for user {EMAIL} exceeded the limit. What should the SOC do?",
        "Ticket 4821: server {IP} (web-03) runs out of memory every night; owner is {PERSON}.",
        "Our firewall blocked {IP} and {IP2} last night; write an incident summary for the Teams channel.",
        "Allowlist the IP {IP} for the partner API and notify {EMAIL} when it is done.",
        "Why does Kubernetes evict pods on node pool Jordan-2 when memory is at 80 percent?",
    ],
    "chat": [
        "hey can you remind {GIVEN} about the standup tomorrow?",
        "ask {GIVEN} if the slides are done, then ping {PERSON} on slack",
        "lol {PERSON} just sent me the wrong file again, how do i ask nicely for the right one",
        "my number is {PHONE} btw, tell {GIVEN} to text me",
        "can u write a birthday message for {PERSON}, she loves hiking in Colorado",
        "what's a good pasta recipe for 4 people?",
    ],
    "contacts": [
        "Contacts export:\nname;email;phone\n{PERSON};{EMAIL};{PHONE}\n{PERSON2};{EMAIL2};",
        "Attendees: {PERSON}; {PERSON2}. Room: Paris 2.",
        "Sort these by surname: {PERSON}, {PERSON2}",
        "Owner: {PERSON} | Backup: {PERSON2} | Escalation: {EMAIL2}",
        "Client list for the Lisbon office, with account managers Accenture and KPMG.",
    ],
}

HELDOUT_FAMILIES: dict[str, list[str]] = {
    "hr": [
        "{PERSON} starts on Monday as a junior accountant; set up payroll with IBAN {IBAN}.",
        "Schedule an exit interview with {PERSON} and invite {GIVEN} from HR.",
        "Performance review notes for {PERSON}: strong delivery, needs to delegate more.",
        "The candidate {PERSON} ({EMAIL}) accepted the offer; SSN for the I-9 is {SSN}.",
        "Summarise our parental leave policy for the Dublin and Austin offices.",
    ],
    "medical": [
        "Patient {PERSON}, born 1984, reports chest pain; referral from Dr. {SURNAME}.",
        "Move the appointment of {PERSON} to Thursday and text the confirmation to {PHONE}.",
        "{PERSON} asked whether the MRI results can be emailed to {EMAIL}.",
        "Dr. {SURNAME} wants the lab results of {PERSON} before the ward round.",
        "What are the side effects of ibuprofen taken with lisinopril?",
    ],
    "travel": [
        "Book a flight to Lagos for {PERSON} and charge card {CARD}.",
        "The hotel in Kyoto needs the passport name of {PERSON}; confirm by phone {PHONE}.",
        "{PERSON} and {PERSON2} share a room at the Hilton in Seoul from May 3.",
        "Rebook {GIVEN}'s train from Vienna to Prague; the ticket went to {EMAIL}.",
        "Which is faster from Istanbul to Ankara, the train or a flight?",
    ],
    "legal": [
        "Draft an NDA between Northwind Traders and {PERSON}, resident at 12 Elm Street.",
        "The tenant {PERSON} disputes the deposit; her lawyer is {PERSON2}.",
        "Witness statement: I, {PERSON}, SSN {SSN}, confirm the events of March 4.",
        "Explain the difference between a will and a living trust in Virginia.",
    ],
    "headers": [
        "FROM: {PERSON}\nTO: FINANCE TEAM\nRE: INVOICE 2291\nPlease pay it to {IBAN}.",
        "{PERSON} here. My card {CARD} was charged twice, can you refund one?",
        "Regards,\n{PERSON}\nSenior Engineer, Orion Labs\n{PHONE}",
        "Reviewed by {PERSON} on 2024-05-02; approved by Mr. {SURNAME}.",
        "{PERSON}, please confirm the new IP {IP} for the office router.",
        "QUARTERLY REPORT - EMEA REGION - DRAFT 3",
    ],
    "messaging": [
        "cc {GIVEN} and {GIVEN2}, they own the Jira board",
        "Loop in {PERSON} <{EMAIL2}> on the vendor thread.",
        "Thanks {GIVEN}! Could you also forward it to {EMAIL2}?",
        "@{GIVEN} the build on {IP} is red again",
        "{GIVEN} said the demo moved to 3pm; tell {PERSON} as well.",
        "Anyone know if the cafeteria in Building 5 is open on Saturday?",
    ],
}

# A third generated part on the development side (tuned on, like dev): sentence shapes the
# issue names as kinds of miss (a name opening the sentence, after a title, in a greeting or a
# sign-off, next to somebody else's address, "cc X and Y", "Surname, Given" in pasted lists)
# written for other domains than either part above, with Faker names of more locales. Measure
# it with `bench.pii_quality --unlisted` too: names that no list holds.
PROBE_FAMILIES: dict[str, list[str]] = {
    "sales": [
        "{PERSON} asked for a discount on the Pro plan; the quote went to {EMAIL2} by mistake.",
        "Call notes: spoke with {PERSON} at Vodafone about the renewal, follow up on {PHONE}.",
        "Hello {GIVEN}, thanks for the call today. The pricing sheet is attached. Best, {PERSON2}",
        "Forward the proposal to {PERSON} and cc {GIVEN} and {GIVEN2}.",
        "Pipeline review: {PERSON} owns the Heineken deal, {PERSON2} the Philips one.",
        "Which CRM fields should we use for lead scoring at a SaaS company in Toronto?",
    ],
    "school": [
        "Dear Ms. {SURNAME}, your son missed the chemistry test on Thursday.",
        "{PERSON} has been absent for three days; the guardian's phone is {PHONE}.",
        "Grade report for {PERSON} (student id 44817): please check the maths mark.",
        "Can you ask {GIVEN} to bring the permission slip? Thanks, {PERSON2}",
        "Prof. {SURNAME} moved the seminar to room B12; email {EMAIL2} with questions.",
        "Summarise the Cambridge admissions guidance for international applicants.",
    ],
    "property": [
        "Tenant {PERSON} reported a leak in flat 4B; landlord contact {EMAIL}.",
        "Lease signed by {PERSON} and {PERSON2}; deposit paid to IBAN {IBAN}.",
        "{PERSON} wants to view the apartment on Elm Street on Saturday at 10.",
        "Viewing list:\n{PERSON}, {PHONE}\n{PERSON2}, {EMAIL2}",
        "Mr. {SURNAME} says the boiler is broken again, can you send someone?",
        "What is the average rent for a two-bedroom flat in Rotterdam?",
    ],
    "logistics": [
        "Delivery for {PERSON}, 12 Harbour Road; the courier could not reach {PHONE}.",
        "Signed for by {PERSON}. Next stop: the Maersk depot in Antwerp.",
        "Driver {PERSON} reported a flat tyre near Lyon; dispatcher is {PERSON2}.",
        "Parcel returned: recipient {PERSON} unknown at the address, sender {EMAIL2}.",
        "Shipping manifest\nconsignee: {PERSON}\ncontact: {EMAIL}\nphone: {PHONE}",
        "How do I track a DHL Express parcel from Shenzhen to Dublin?",
    ],
    "notes": [
        "Meeting notes 3 May: {PERSON} presented the roadmap, {GIVEN} will send the slides.",
        "Action items: {GIVEN} to fix the build, {GIVEN2} to update the docs.",
        "{GIVEN} said the client wants the report by Friday.",
        "Thanks all,\n{PERSON}\nHead of Operations",
        "Regards,\n{PERSON}\n{PHONE}",
        "Present: {PERSON}, {PERSON2}. Apologies: {GIVEN}.",
        "Write an agenda for a 30-minute sprint retrospective.",
    ],
    "paste": [
        "last name,first name,email\n{PERSON},{EMAIL}\n{PERSON2},{EMAIL2}",
        "Members: {PERSON}; {PERSON2}; {GIVEN}",
        "Reviewer: {PERSON} | Approver: {PERSON2} | Card on file: {CARD}",
        "from: {PERSON} <{EMAIL}>\nto: {PERSON2}\nsubject: invoice 2291",
        "Payee: {PERSON}, SSN {SSN}, account {IBAN}",
        "Column headers: Region, Quarter, Revenue, Margin. Sort by Margin.",
    ],
}
# Faker locales of the probe part: the dev origins' locales and more, never mimesis.
PROBE_ORIGINS: dict[str, list[str]] = {
    "English": ["en_US", "en_GB", "en_IE", "en_NZ"],
    "Western European": ["de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_PT", "de_AT"],
    "Nordic": ["sv_SE", "da_DK", "fi_FI", "no_NO"],
    "Eastern European": [
        *("cs_CZ", "sk_SK", "hu_HU", "ro_RO", "hr_HR", "sl_SI", "lt_LT", "lv_LV", "uk_UA", "bg_BG")
    ],
    "Turkish": ["tr_TR"],
    "Nigerian": ["yo_NG", "ig_NG", "ha_NG"],
    "Indian": ["en_IN"],
    "Japanese": ["ja_JP"],
    "Korean": ["ko_KR"],
    "Chinese": ["zh_CN", "zh_TW"],
    "Vietnamese": ["vi_VN"],
    "Arabic": ["en_PK", "fr_DZ"],
    "East and West African": ["en_KE", "sw", "tw_GH", "en_NG"],
    "Central Asian": ["uz_UZ"],
    "Latin American": ["es_MX", "es_AR", "es_CO", "pt_BR"],
}

# --- names ---------------------------------------------------------------------------------

DEV_ORIGINS: dict[str, list[str]] = {  # origin -> Faker locales (the lexicons' source)
    "English": ["en_US", "en_GB"],
    "Western European": ["de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR"],
    "Nordic": ["sv_SE", "da_DK"],
    "Eastern European": ["pl_PL", "cs_CZ", "hu_HU", "ru_RU"],
    "Turkish": ["tr_TR"],
    "Nigerian": ["yo_NG", "ig_NG", "ha_NG"],
    "Indian": ["en_IN"],
    "Japanese": ["ja_JP"],
    "Korean": ["ko_KR"],
    "Chinese": ["zh_CN"],
    "Vietnamese": ["vi_VN"],
    "Arabic": ["en_PK", "fr_DZ"],
    "Zulu (unseen)": ["zu_ZA"],  # these four are not in the lexicons (bench/pii_lexicons.py)
    "Indonesian (unseen)": ["id_ID"],
    "Thai (unseen)": ["en_TH"],
    "Azerbaijani (unseen)": ["az_AZ"],
}
HELDOUT_ORIGINS: dict[str, list[str]] = {  # origin -> mimesis locales, or "hand:<list>"
    "English": ["en", "en-gb"],
    "Western European": ["de", "fr", "es", "it", "nl", "pt"],
    "Nordic": ["sv", "da", "no", "fi", "is"],
    "Eastern European": ["pl", "cs", "sk", "hu", "hr", "et", "uk", "ru"],
    "Turkish": ["tr"],
    "Korean": ["ko"],
    "Nigerian": ["hand:nigerian"],
    "Indian": ["hand:indian"],
    "Japanese": ["hand:japanese"],
    "Chinese": ["hand:chinese"],
    "Vietnamese": ["hand:vietnamese"],
    "Arabic": ["hand:arabic"],
    "Greek (unseen)": ["el"],
    "Kazakh (unseen)": ["kk"],
    "Ethiopian (unseen)": ["hand:ethiopian"],
}
# Compiled by hand for the held-out part from common usage (not from any list the lexicons use).
HAND: dict[str, tuple[str, str]] = {
    "nigerian": (
        "Chukwuemeka Oluwaseun Ngozi Adaeze Obinna Funmilayo Tochukwu Yetunde Emeka Nkechi Babajide "
        "Olamide Ifeoma Kelechi Temitope Uchenna Adebayo Chiamaka Olumide Folasade Ikenna Bukola Damilola "
        "Nnamdi Oluwadamilare Chidinma Abimbola Segun Aisha Musa Kehinde Taiwo",
        "Okonkwo Adeyemi Okafor Balogun Nwosu Adebayo Eze Olawale Chukwu Okeke Ogunleye Obi Nwachukwu "
        "Akinola Ibekwe Onyekachi Adewale Oyelaran Uche Olatunji Anyanwu Bello Abdullahi Danjuma Olaniyan "
        "Ekwueme Adeleke Onuoha Ezeh Ogbonna",
    ),
    "indian": (
        "Aarav Vivaan Aditya Ananya Diya Ishaan Kavya Saanvi Arjun Rohan Priya Neha Rahul Sneha Vikram "
        "Lakshmi Meera Karthik Deepika Siddharth Aishwarya Harsha Pooja Nikhil Shreya Varun Anjali Suresh "
        "Ramesh Gayatri Tanvi Abhishek",
        "Sharma Patel Iyer Reddy Nair Gupta Mehta Chatterjee Banerjee Krishnan Menon Rao Desai Joshi "
        "Kulkarni Pillai Bhattacharya Agarwal Verma Choudhury Naidu Srinivasan Ghosh Malhotra Kapoor "
        "Subramanian Venkatesh Mukherjee Trivedi Pandey",
    ),
    "japanese": (
        "Haruto Yui Sota Hina Ren Aoi Yuto Sakura Riku Mio Kaito Yuna Haruki Rin Takumi Akari Daiki "
        "Misaki Kenta Nanami Shun Ayaka Ryota Emi Yuki Hiroto Mei Kazuki Natsuki Kohei",
        "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada "
        "Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto "
        "Ishikawa Ogawa Fujita Okada Goto Hasegawa",
    ),
    "chinese": (
        "Wei Fang Xiuying Na Min Jing Li Qiang Lei Yan Jun Yong Jie Tao Ming Chao Xia Hui Bo Yu "
        "Zihan Haoran Yuxuan Xinyi Ruoxi Zhiwei Jiahui Mingyu Yichen Shuang",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng "
        "Liang Xie Song Tang Deng Han Feng Cao Peng",
    ),
    "vietnamese": (
        "Minh Anh Huong Tuan Linh Duc Thao Hieu Lan Quang Trang Phuong Khanh Nam Mai Thanh Hoa Long "
        "Ngoc Dung Thu Hung Vy Bao Trinh Tien Nhung Quoc Hanh Son",
        "Nguyen Tran Le Pham Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly Truong Dinh Lam Mai "
        "Trinh Luong Dao Cao Ha Quach Ta Kieu Thai Chau",
    ),
    "arabic": (
        "Mohammed Ahmed Fatima Omar Yousef Khaled Layla Hassan Mariam Tariq Nour Samir Rania Karim "
        "Huda Faisal Amira Ziad Salma Hamza Yasmin Walid Dalia Rashid Lina Bilal Noura Majid Farah Adel",
        "Al-Sayed Haddad Nasser Khalil Mansour Hamdan Abdallah Saleh Darwish Farouk Qasim Rahman Aziz "
        "Haddadin Suleiman Bakr Jaber Shami Masri Tamimi Karam Othman Yassin Issa Hijazi Awad Zaki "
        "Barakat Sabbagh Khoury",
    ),
    "ethiopian": (
        "Abebe Tigist Mulugeta Selamawit Tewodros Meseret Yohannes Hirut Alemayehu Bethlehem Girma "
        "Mekdes Dawit Tsion Biniam Hanna Solomon Eyerusalem Tadesse Liya Kaleab Saron Henok Rahel",
        "Bekele Tadesse Kebede Haile Gebre Desta Mekonnen Tesfaye Wolde Negash Asfaw Ayele Demissie "
        "Getachew Alemu Berhane Girma Mengistu Abera Lemma Tekle Yirga Zewdu Hailu",
    ),
}


class Names:
    """Given names and surnames by origin, for one part (dev: Faker; held-out: mimesis + hand)."""

    def __init__(self, part: str, rng: random.Random) -> None:
        self.rng = rng
        self.lists: dict[str, tuple[list[str], list[str]]] = {}
        origins = {"dev": DEV_ORIGINS, "probe": PROBE_ORIGINS}.get(part, HELDOUT_ORIGINS)
        for origin, sources in origins.items():
            given: list[str] = []
            surnames: list[str] = []
            for source in sources:
                more = _heldout_names(source) if part == "heldout" else _faker_names(source)
                given += more[0]
                surnames += more[1]
            self.lists[origin] = (sorted(set(given)), sorted(set(surnames)))

    def pick(self) -> tuple[str, str, str]:
        """(origin, given, surname)."""
        origin = self.rng.choice(sorted(self.lists))
        given, surnames = self.lists[origin]
        return origin, self.rng.choice(given), self.rng.choice(surnames)


def _faker_names(locale: str) -> tuple[list[str], list[str]]:
    from bench.pii_lexicons import names_of

    given, surnames = names_of(locale)
    return [g for g in given if g.isalpha() or "-" in g], [s for s in surnames if s.isalpha()]


def _heldout_names(source: str) -> tuple[list[str], list[str]]:
    if source.startswith("hand:"):
        given, surnames = HAND[source.removeprefix("hand:")]
        return given.split(), surnames.split()
    data = json.loads((resources.files("mimesis") / "datasets" / source / "person.json").read_text("utf-8"))

    def flat(value: Any) -> list[str]:
        return [v for values in value.values() for v in values] if isinstance(value, dict) else list(value)

    given, surnames = flat(data["names"]), flat(data["surnames"])
    if source == "ko":
        given, surnames = [hangul_given(g) for g in given], [hangul_surname(s) for s in surnames]
    elif source in ("ru", "uk", "kk"):
        given, surnames = [cyrillic(g) for g in given], [cyrillic(s) for s in surnames]
    elif source == "el":
        given, surnames = [greek(g) for g in given], [greek(s) for s in surnames]
    keep = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
    return (
        [g for g in given if latin(g) and keep.fullmatch(g)],
        [s for s in surnames if latin(s) and keep.fullmatch(s)],
    )


# --- values --------------------------------------------------------------------------------

IBAN_LOCALES = ["de_DE", "en_GB", "fr_FR", "nl_NL", "es_ES", "it_IT", "sv_SE", "fr_CH", "pl_PL", "pt_PT"]
PHONE_LOCALES = ["en_US", "en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL"]
CARD_TYPES = ["visa16", "mastercard", "amex", "discover", "visa13", "jcb16"]
TITLES = ["Dr.", "Mr.", "Ms.", "Mrs.", "Prof."]
FORMS = ["standard", "standard", "standard", "caps", "lower", "reversed", "given"]


class Values:
    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.fakers = {loc: Faker(loc) for loc in sorted({*IBAN_LOCALES, *PHONE_LOCALES})}
        for index, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed + index)

    def _faker(self, locales: list[str]) -> Faker:
        return self.fakers[self.rng.choice(locales)]

    def email(self, name: tuple[str, str] | None) -> str:
        faker = self.fakers["en_US"]
        given, surname = name or ("", "")
        local = (
            re.sub(r"[^a-z]", "", given.lower())
            + self.rng.choice([".", "_", ""])
            + re.sub(r"[^a-z]", "", surname.lower())
        )
        choice = self.rng.random()
        if name and choice < 0.4 and len(local) > 3:
            return f"{local}@{faker.domain_name()}"
        if choice < 0.6:
            return str(faker.free_email())
        if choice < 0.7:
            return str(faker.email()).upper()
        return str(faker.email())

    def phone(self) -> str:
        if self.rng.random() < 0.2:
            area, exchange, line = (
                self.rng.randint(201, 989),
                self.rng.randint(200, 999),
                self.rng.randint(1000, 9999),
            )
            return self.rng.choice(
                [f"+1 {area} {exchange} {line}", f"{area}.{exchange}.{line}", f"+1-{area}-{exchange}-{line}"]
            )
        return str(self._faker(PHONE_LOCALES).phone_number())

    def card(self) -> str:
        number = str(self.fakers["en_US"].credit_card_number(card_type=self.rng.choice(CARD_TYPES)))
        style = self.rng.random()
        if style < 0.3:
            return number
        separator = " " if style < 0.7 else self.rng.choice(["-", "."])
        groups = (
            [4, 6, 5]
            if len(number) == 15
            else [4] * (len(number) // 4) + ([len(number) % 4] if len(number) % 4 else [])
        )
        out, position = [], 0
        for size in groups:
            out.append(number[position : position + size])
            position += size
        return separator.join(out)

    def ssn(self) -> str:
        ssn = str(self.fakers["en_US"].ssn())
        style = self.rng.random()
        return ssn if style < 0.6 else ssn.replace("-", " ") if style < 0.8 else ssn.replace("-", ".")

    def iban(self) -> str:
        iban = str(self._faker(IBAN_LOCALES).iban())
        style = self.rng.random()
        if style < 0.3:
            return iban
        separator = " " if style < 0.85 else "-"
        return separator.join(iban[i : i + 4] for i in range(0, len(iban), 4))

    def ip(self) -> str:
        faker = self.fakers["en_US"]
        choice = self.rng.random()
        return str(
            faker.ipv4_public() if choice < 0.5 else faker.ipv4_private() if choice < 0.8 else faker.ipv6()
        )


SLOT = re.compile(r"\{(PERSON2?|GIVEN2?|SURNAME|EMAIL2?|PHONE|CARD|SSN|IBAN|IP2?)\}")
TYPES = {
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "CARD": "CREDIT_CARD",
    "SSN": "US_SSN",
    "IBAN": "IBAN_CODE",
    "IP": "IP_ADDRESS",
}


def written(given: str, surname: str, form: str, rng: random.Random) -> tuple[str, str]:
    """(as written in the prompt, the labelled value): a title is written but not labelled."""
    if form == "reversed":
        return f"{surname}, {given}", f"{surname}, {given}"
    name = f"{given} {surname}"
    if form == "standard" and rng.random() < 0.12:
        name = f"{given} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {surname}"
    if form == "caps":
        name = name.upper()
    if form == "standard" and rng.random() < 0.12:
        return f"{rng.choice(TITLES)} {name}", name
    return name, name


def fill(template: str, names: Names, values: Values, rng: random.Random) -> dict[str, Any]:
    form = rng.choice(FORMS)
    if form == "given" and "{GIVEN" not in template and "{PERSON" in template:
        form = "standard"  # the lone-given form lives in templates written for it
    whole_caps = form == "caps" and rng.random() < 0.5
    text, entities, position = "", [], 0
    people: list[tuple[str, str]] = []
    makers: dict[str, Callable[[], str]] = {
        "PHONE": values.phone, "CARD": values.card, "SSN": values.ssn, "IBAN": values.iban, "IP": values.ip,
    }  # fmt: skip
    for match in SLOT.finditer(template):
        text += template[position : match.start()]
        slot = match.group(1).rstrip("2")
        entity: dict[str, Any]
        if slot in ("PERSON", "GIVEN", "SURNAME"):
            origin, given, surname = names.pick()
            people.append((given, surname))
            if slot == "GIVEN":
                shown = label = given.upper() if form == "caps" else given
                slot_form = "given"
            elif slot == "SURNAME":
                shown = label = surname.upper() if form == "caps" else surname
                slot_form = "titled surname"
            else:
                shown, label = written(given, surname, "standard" if form == "given" else form, rng)
                slot_form = "standard" if form == "given" else form
            start = len(text) + shown.index(label)
            entity = {"type": "PERSON", "value": label, "start": start, "end": start + len(label)}
            entity.update(origin=origin, form=slot_form)
            text += shown
        else:
            if slot == "EMAIL":
                own = people[0] if people and match.group(1) == "EMAIL" else None
                value = values.email(own)
            else:
                value = makers[slot]()
            entity = {"type": TYPES[slot], "value": value, "start": len(text), "end": len(text) + len(value)}
            text += value
        entities.append(entity)
        position = match.end()
    text += template[position:]
    if form == "lower" or whole_caps:
        text = text.lower() if form == "lower" else text.upper()
        for entity in entities:  # case mapping keeps these texts' lengths (checked below)
            entity["value"] = text[entity["start"] : entity["end"]]
            if entity["type"] == "PERSON":
                entity["form"] = form
    return {"form": form, "text": text, "entities": entities}


def build(part: str, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(f"{part}-{seed}")
    names, values = Names(part, rng), Values(rng, seed)
    families = {"dev": DEV_FAMILIES, "probe": PROBE_FAMILIES, "heldout": HELDOUT_FAMILIES}[part]
    templates = [(family, template) for family, items in families.items() for template in items]
    records = []
    while len(records) < PER_PART:
        family, template = templates[len(records) % len(templates)]
        record = fill(template, names, values, rng)
        if any(record["text"][e["start"] : e["end"]] != e["value"] for e in record["entities"]):
            continue  # a case mapping that changed a length (German sharp s, dotted I): drawn again
        records.append({"id": f"{part}-{len(records):04d}", "part": part, "family": family, **record})
    return records


def hard_cases() -> list[dict[str, Any]]:
    """Hand-written cases: labels are values; offsets are found here (every occurrence)."""
    cases = []
    for line in HARD.read_text().splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        entities = []
        for entity_type, value in case["values"]:
            start = case["text"].find(value)
            if start == -1:
                raise ValueError(f"{case['id']}: {value!r} is not in its text")
            while start != -1:
                end = start + len(value)
                entity = {"type": entity_type, "value": value, "start": start, "end": end}
                if entity_type == "PERSON":
                    entity.update(origin=case.get("origin", "-"), form=case.get("form", "standard"))
                entities.append(entity)
                start = case["text"].find(value, start + len(value))
        cases.append(
            {
                "id": case["id"],
                "part": "hard",
                "family": case.get("kind", "hand"),
                "text": case["text"],
                "entities": entities,
            }
        )
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the labelled PII corpora.")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for part, out in (("dev", DEV), ("heldout", HELDOUT), ("probe", PROBE)):
        records = build(part, args.seed)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        counts = Counter(e["type"] for r in records for e in r["entities"])
        print(f"{part}: {len(records)} prompts -> {out}; {json.dumps(dict(sorted(counts.items())))}")


if __name__ == "__main__":
    main()
