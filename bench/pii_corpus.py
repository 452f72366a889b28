"""Build the labelled PII corpus: Faker (fixed seed) in 40 templates, plus hand-written hard cases.

    .venv/bin/python -m bench.pii_corpus            # writes bench/corpus/pii_corpus.jsonl
    .venv/bin/python -m bench.pii_corpus --seed 7 --out /tmp/heldout.jsonl   # a held-out draw

Each line: {"id", "source", "text", "entities": [{"type", "value", "start", "end"}]}. Entity
types: PERSON, EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS.
Names come from seven Faker locales (half en_US), so that the benchmark is not only
Anglo-American names; formats vary per value (grouped or compact cards and IBANs, national and
international phone numbers, IPv4 and IPv6, dashed, spaced and bare SSNs). The templates also
carry organisations, places and products that are not PII, so that precision means something.
Hand-written hard cases live in bench/corpus/hard_cases.jsonl (values, not offsets).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

from faker import Faker

SEED = 20241124
COUNT = 320
HERE = Path(__file__).parent / "corpus"
OUT = HERE / "pii_corpus.jsonl"
HARD = HERE / "hard_cases.jsonl"

TEMPLATES = [
    "Hi, I'm {PERSON} from the Denver office. Can you reset my password? My work email is {EMAIL}.",
    "Please draft a reply to {PERSON} ({EMAIL}) thanking them for the Acme Corp renewal.",
    "Customer {PERSON} called from {PHONE} about a double charge on card {CARD}.",
    "Summarize: {PERSON} reported that the VPN gateway at {IP} drops connections every hour.",
    "Employee record: name {PERSON}, SSN {SSN}, phone {PHONE}. Check it for typos.",
    "Wire the refund to IBAN {IBAN}, account holder {PERSON}.",
    "Translate into German: Dear {PERSON}, your order has shipped. Questions? Call {PHONE}.",
    "Our firewall blocked {IP} and {IP2} last night; write an incident summary for the Teams channel.",
    "Meeting notes: {PERSON} and {PERSON2} agreed to move the launch to Q3. Follow up at {EMAIL}.",
    "Can you check why the payment with card number {CARD} failed for {PERSON}?",
    "My social security number is {SSN}, is it safe to share it with my bank over email?",
    "Update the CRM entry: {PERSON}, mobile {PHONE}, email {EMAIL}, IBAN {IBAN}.",
    "Write a short bio for {PERSON}, who joined Google in 2019 as a data scientist in Zurich.",
    "Login attempts from {IP} for user {EMAIL} exceeded the limit. What should the SOC do?",
    "{PERSON} asked whether the Paris hotel booking can be paid with {CARD}.",
    "Tax form: taxpayer {PERSON}, SSN {SSN}. Please check the form for mistakes.",
    "Forward the invoice from Globex Ltd to {EMAIL} and cc {EMAIL2}.",
    "The contractor {PERSON} should be paid to {IBAN} by Friday, says finance.",
    "Please call me back at {PHONE} when the Berlin report is ready. Thanks, {PERSON}",
    "Ticket 4821: server {IP} (web-03) runs out of memory every night; owner is {PERSON}.",
    "Compose a polite reminder to {PERSON} that the Amazon Web Services bill is overdue.",
    "Background check request for {PERSON}, SSN {SSN}, phone {PHONE}.",
    "Chargeback dispute: cardholder {PERSON}, card {CARD}, contact {EMAIL}.",
    "Hey, {PERSON} here. My number changed to {PHONE}, can you update the on-call sheet?",
    "Allowlist the IP {IP} for the partner API and notify {EMAIL} when it is done.",
    "Draft a recommendation letter for {PERSON}, a former intern at Deloitte in Chicago.",
    "Payroll change: move the salary of {PERSON} to IBAN {IBAN} from next month.",
    "Please verify that SSN {SSN} belongs to {PERSON} before onboarding.",
    "Schedule an interview with {PERSON} and {PERSON2} on Monday in the London office.",
    "The DNS server at {IP} is also reachable as {IP2}; document both in Confluence.",
    "Customer email: {EMAIL}. Customer phone: {PHONE}. Write a friendly welcome message.",
    "Rewrite this more formally: hey {PERSON}, send the deck to {EMAIL} asap",
    "Card {CARD} expires next month; remind {PERSON} via {EMAIL}.",
    "Is {IBAN} a valid IBAN format for a SEPA transfer from Deutsche Bank?",
    "{PERSON} (SSN {SSN}) is applying for the mortgage; summarize the risks for the committee.",
    "Write a haiku about {PERSON} debugging a Kubernetes cluster at midnight.",
    "Our vendor contact at Initech is {PERSON}, reachable at {PHONE} or {EMAIL}.",
    "Fraud alert: card {CARD} was used from IP {IP} in Lagos ten minutes ago.",
    "Add {PERSON} to the Slack channel for finance and email the invite to {EMAIL}.",
    "Anonymize this note: {PERSON} banks with Chase; salary goes to IBAN {IBAN}; phone {PHONE}.",
]

NAME_LOCALES = ["en_US"] * 6 + ["en_GB", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]
IBAN_LOCALES = ["de_DE", "en_GB", "fr_FR", "nl_NL", "es_ES", "it_IT"]
PHONE_LOCALES = ["en_US"] * 4 + ["en_GB", "de_DE", "fr_FR", "it_IT"]
CARD_TYPES = ["visa16", "mastercard", "amex", "discover", "visa13", "jcb16"]
TITLES = ["Dr.", "Mr.", "Ms.", "Mrs."]


class Values:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in sorted({*NAME_LOCALES, *IBAN_LOCALES, *PHONE_LOCALES})}
        for index, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed + index)

    def faker(self, locales: list[str]) -> Faker:
        return self.fakers[self.rng.choice(locales)]

    def person(self) -> tuple[str, str]:
        """(text as written, the labelled name): a title is written but not labelled."""
        f = self.faker(NAME_LOCALES)
        name = f"{f.first_name()} {f.last_name()}"
        if self.rng.random() < 0.12:
            first, last = name.split(" ", 1)
            name = f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
        if self.rng.random() < 0.12:
            title = self.rng.choice(TITLES)
            return f"{title} {name}", name
        return name, name

    def email(self, name: str | None = None) -> str:
        f = self.faker(NAME_LOCALES)
        choice = self.rng.random()
        if name and choice < 0.3:
            local = re.sub(r"\.+", ".", re.sub(r"[^a-z.]", "", name.lower().replace(" ", ".")))
            return f"{local}@{f.domain_name()}"
        if choice < 0.5:
            return f.free_email()
        if choice < 0.6:
            return f.email().upper()
        if choice < 0.7:
            user, domain = f.email().split("@")
            return f"{user}+billing@{domain}"
        return f.email()

    def phone(self) -> str:
        f = self.faker(PHONE_LOCALES)
        if self.rng.random() < 0.15:
            area, exchange, line = (
                self.rng.randint(201, 989),
                self.rng.randint(200, 999),
                self.rng.randint(1000, 9999),
            )
            return f"+1 {area} {exchange} {line}"
        return str(f.phone_number())

    def card(self) -> str:
        number = str(self.fakers["en_US"].credit_card_number(card_type=self.rng.choice(CARD_TYPES)))
        style = self.rng.random()
        if style < 0.4:
            return number
        separator = " " if style < 0.8 else "-"
        rest = [len(number) % 4] if len(number) % 4 else []
        groups = [4, 6, 5] if len(number) == 15 else [4] * (len(number) // 4) + rest
        out, position = [], 0
        for size in groups:
            out.append(number[position : position + size])
            position += size
        return separator.join(out)

    def ssn(self) -> str:
        ssn = str(self.fakers["en_US"].ssn())
        style = self.rng.random()
        if style < 0.7:
            return ssn
        return ssn.replace("-", " ") if style < 0.85 else ssn.replace("-", "")

    def iban(self) -> str:
        iban = str(self.faker(IBAN_LOCALES).iban())
        if self.rng.random() < 0.5:
            return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban

    def ip(self) -> str:
        f = self.fakers["en_US"]
        choice = self.rng.random()
        if choice < 0.5:
            return str(f.ipv4_public())
        if choice < 0.8:
            return str(f.ipv4_private())
        return str(f.ipv6())


SLOT = re.compile(r"\{(PERSON2?|EMAIL2?|PHONE|CARD|SSN|IBAN|IP2?)\}")
TYPES = {
    "PERSON": "PERSON",
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "CARD": "CREDIT_CARD",
    "SSN": "US_SSN",
    "IBAN": "IBAN_CODE",
    "IP": "IP_ADDRESS",
}


def fill(template: str, values: Values) -> dict[str, Any]:
    text, entities, position = "", [], 0
    last_name: str | None = None
    for match in SLOT.finditer(template):
        text += template[position : match.start()]
        slot = match.group(1).rstrip("2")
        if slot == "PERSON":
            written, label = values.person()
            last_name = label
            start = len(text) + written.index(label)
            text += written
            entities.append({"type": "PERSON", "value": label, "start": start, "end": start + len(label)})
        else:
            makers = {"PHONE": values.phone, "CARD": values.card, "SSN": values.ssn, "IBAN": values.iban}
            value = (
                values.email(last_name)
                if slot == "EMAIL"
                else values.ip()
                if slot == "IP"
                else makers[slot]()
            )
            start = len(text)
            entities.append({"type": TYPES[slot], "value": value, "start": start, "end": start + len(value)})
            text += value
        position = match.end()
    text += template[position:]
    return {"text": text, "entities": entities}


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
                entities.append({"type": entity_type, "value": value, "start": start, "end": end})
                start = case["text"].find(value, start + len(value))
        cases.append({"id": case["id"], "source": "hand", "text": case["text"], "entities": entities})
    return cases


def build(seed: int = SEED) -> list[dict[str, Any]]:
    values = Values(seed)
    records = []
    for index in range(COUNT):
        record = fill(TEMPLATES[index % len(TEMPLATES)], values)
        records.append({"id": f"faker-{index:03d}", "source": "faker", **record})
    return records + hard_cases()


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the labelled PII corpus.")
    parser.add_argument("--seed", type=int, default=SEED, help="another seed gives a held-out corpus")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    records = build(args.seed)
    out = args.out
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    counts: dict[str, int] = {}
    for record in records:
        for entity in record["entities"]:
            counts[entity["type"]] = counts.get(entity["type"], 0) + 1
    print(f"{len(records)} prompts -> {out}")
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
