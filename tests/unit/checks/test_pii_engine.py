"""The real detector: Presidio + the packaged spaCy model + the gateway's recognizers."""

from __future__ import annotations

from gateway.checks.pii.actions import resolve
from gateway.checks.pii.engine import PresidioDetector
from gateway.checks.pii.scope import DEFAULT_ENTITIES, scope_of
from gateway.policy.schema import CustomRecognizer, PiiPolicy

TEXT = (
    "Hi, this is John Smith. Email jane.doe@example.com or call (415) 555-0132. "
    "Card 4111 1111 1111 1111, SSN 078-05-1120, IBAN DE89 3704 0044 0532 0130 00, host 192.168.10.24. "
    "We met in Paris last Tuesday at Acme Corp."
)


def found(detector: PresidioDetector, text: str, policy: PiiPolicy | None = None) -> dict[str, str]:
    (spans,) = detector.detect([text], scope_of(policy or PiiPolicy()))
    return {text[s.start : s.end]: s.entity for s in resolve(spans)}


def test_the_seven_entity_types(presidio: PresidioDetector) -> None:
    values = found(presidio, TEXT)
    for value, entity in {
        "John Smith": "PERSON",
        "jane.doe@example.com": "EMAIL_ADDRESS",
        "(415) 555-0132": "PHONE_NUMBER",
        "4111 1111 1111 1111": "CREDIT_CARD",
        "078-05-1120": "US_SSN",
        "DE89 3704 0044 0532 0130 00": "IBAN_CODE",
        "192.168.10.24": "IP_ADDRESS",
    }.items():
        assert values.get(value) == entity, value


def test_noisy_entities_are_not_reported_unless_asked_for(presidio: PresidioDetector) -> None:
    kinds = set(found(presidio, TEXT).values())
    assert kinds <= set(DEFAULT_ENTITIES)
    asked = found(presidio, TEXT, PiiPolicy(entities={"LOCATION": "redact"}))
    assert asked.get("Paris") == "LOCATION"


def test_allow_list_and_custom_recognizers(presidio: PresidioDetector) -> None:
    policy = PiiPolicy(
        allow=["john smith"],
        custom=[
            CustomRecognizer(entity="EMPLOYEE_ID", pattern=r"EMP-\d{6}"),
            CustomRecognizer(entity="PROJECT", deny_list=["Bluebird"]),
        ],
    )
    values = found(presidio, "John Smith (EMP-004211) leads Bluebird.", policy)
    assert "John Smith" not in values
    assert values["EMP-004211"] == "EMPLOYEE_ID" and values["Bluebird"] == "PROJECT"


def test_default_action_allow_looks_only_for_what_is_listed(presidio: PresidioDetector) -> None:
    policy = PiiPolicy(default_action="allow", entities={"EMAIL_ADDRESS": "redact"})
    assert found(presidio, TEXT, policy) == {"jane.doe@example.com": "EMAIL_ADDRESS"}


def test_names_the_small_model_misses(presidio: PresidioDetector) -> None:
    for text, name in [
        ("Please forward this to Violetta Flantz today.", "Violetta Flantz"),
        ("Write to Dr. Okonkwo about the results.", "Okonkwo"),
        ("Shelly Yates asked for a refund.", "Shelly Yates"),
        ("hello, my name is jane doe and I need help", "jane doe"),
    ]:
        assert found(presidio, text).get(name) == "PERSON", text


def test_ordinary_prompts_stay_untouched(presidio: PresidioDetector) -> None:
    for text in [
        "What is the capital of France?",
        "Use Microsoft Teams or Google Meet for the call on Monday.",
        "Summarize the Terms of Service in plain English.",
        "The Rose Garden is open in June.",
    ]:
        assert found(presidio, text) == {}, text


def test_a_batch_finds_what_each_text_alone_finds(presidio: PresidioDetector) -> None:
    texts = [
        "Hello, this is Maria Gonzalez, call me on +1 415 555 0199.",
        "Send it to omar.haddad@example.com and card 4111 1111 1111 1111.",
        "Nothing personal here at all.",
    ]
    default = scope_of(PiiPolicy())
    allowing = scope_of(PiiPolicy(allow=["Maria Gonzalez"]))
    jobs = [(texts, default), (texts[:1], allowing)]
    assert presidio.many(jobs) == [
        presidio.detect(texts, default),
        presidio.detect(texts[:1], allowing),
    ]
