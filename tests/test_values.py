"""The specific values a question asks for, and whether quoted text states one (the judge's `value_missing`)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.extractive import partial_lead
from assistant.answering.features import FEATURES
from assistant.answering.values import asked_values, missing_values


class _Unit:
    """A ranked unit as the judge reads it: its text, score, stemmed tokens and (zero) features."""

    def __init__(self, text: str, tokens=()):
        self.text, self.score, self.tokens = text, 1.0, frozenset(tokens)
        self.features = np.zeros(len(FEATURES), dtype=np.float32)


@pytest.mark.parametrize("question, kinds", [
    ("What's the email address for the data protection team?", ["contact"]),
    ("Which phone number should I use out of hours?", ["contact"]),
    ("How much does the annual licence cost?", ["money"]),
    ("What fee do suppliers pay to be assessed?", ["money"]),
    ("What will the 4.0 licence cost us compared with 3.8?", ["money"]),
    ("What's the annual value of our contract with the supplier?", ["money"]),
    ("Does it cost anything to use the assistant?", []),  # "it is free" answers it: no amount asked
    ("At what amount of training compute is a model presumed high-impact?", []),  # an amount, not of money
    ("What error rate is the triage model allowed?", ["rate"]),
    ("At what time does the nightly retraining job run?", ["clock"]),
    ("On what date was the chatbot switched off?", ["date"]),
    ("How many people sit on the review board?", ["count"]),
    ("What's the pass mark for the AI e-learning?", ["limit"]),
    ("What is the biggest file I can upload?", ["limit"]),
    ("What risk score triggers a model review?", ["limit"]),
    ("What is the minimum requirement for a supplier's security?", []),  # a requirement, not a figure
    ("Is there a limit on how many images one person can create?", ["count"]),
    ("May I use the image generator for a flyer?", []),
    ("When are parking permits renewed?", []),  # "every January" answers it: no particular shape asked
    ("How long do we keep the chat transcripts?", ["duration"]),
    ("How often is the risk register reviewed?", ["duration"]),
    ("If a patient is harmed, how quickly must I report it?", ["duration"]),
    ("What's the deadline for telling the regulator?", ["duration"]),
    ("Within how many hours must we notify the regulator?", ["count"]),  # a count of hours, not any duration
    ("A customer on the phone asked whether a person checked her claim. What do I say?", []),
])
def test_the_kind_of_value_a_question_asks_for(question, kinds):
    assert [kind.name for kind in asked_values(question)] == kinds


@pytest.mark.parametrize("question, text", [
    ("What's the email address for the data protection team?", "Write to dpo@example.org with the details."),
    ("Which phone number should I use out of hours?", "Ring the duty manager on 0117 496 0000."),
    ("How much does the annual licence cost?", "The licence is £18,500 a year."),
    ("How much does the annual licence cost?", "The budget line is EUR 2 million."),
    ("What error rate is the triage model allowed?", "No more than 2.5% of cases may be misrouted."),
    ("At what time does the nightly retraining job run?", "It starts at 02:30 each night."),
    ("On what date was the chatbot switched off?", "It was switched off on 14 March 2026."),
    ("On what date will the chatbot go live?", "It goes live in March, after the pilot."),
    ("How many people sit on the review board?", "The board has seven members."),
    ("What's the pass mark for the AI e-learning?", "You pass the AI e-learning with 80% or more."),
    ("What risk score triggers a model review?", "A score of 15 or more (band 3) triggers a model review."),
    ("How many working days does the privacy office have to decide?", "It decides within 10 working days."),
    ("How many AI incidents did we log in 2025?", "In 2025, 7 AI incidents were reported."),
    ("How many days' notice must an employer give?", "Employers give 30 days' notice in writing."),
    ("How long do we keep the chat transcripts?", "Transcripts are deleted after 90 days."),
    ("How long does the training take?", "The module takes about half an hour."),
    ("How often is the risk register reviewed?", "The board reviews the whole register every quarter."),
    ("How often is the risk register reviewed?", "It is reviewed annually."),
    ("How quickly must a supplier tell us about an incident?", "Suppliers notify us without undue delay."),
    ("How long will version 4.1 stay supported?", "Version 4.1 is supported until 31 March 2027."),
])
def test_a_text_that_states_the_value_leaves_nothing_missing(question, text):
    assert missing_values(question, [text]) == []


@pytest.mark.parametrize("question, text", [
    ("What's the email address for the data protection team?", "The data protection team handles requests."),
    ("How much does the annual licence cost?", "The licence is renewed every year by procurement."),
    ("At what time does the nightly retraining job run?", "The retraining job runs every night."),
    ("On what date was the chatbot switched off?", "The chatbot was switched off after the incident."),
    ("What's the pass mark for the AI e-learning?", "The AI e-learning ends with a short quiz."),
    # numbers that name things are no figure: a course code, a date, a level, an article
    ("What's the pass mark for the AI e-learning?", "Course code: AIE-01. Title: AI e-learning, from 1 May 2026."),
    ("What risk score triggers a model review?", "Level 3 risks go to the review under Article 9 since 2025."),
    # a number that counts something else is not the count asked for (a year, an article, hours not days)
    ("How many working days does the privacy office have to decide?", "Requests follow the 2025 guidance."),
    ("How many days does a business have to answer an appeal?", "Article 14 gives the consumer 2 routes."),
    ("How many managers are on the on-call rota at once?", "The rota was set up in 2024 with 3 phones."),
    ("How long do we keep the chat transcripts?", "Transcripts are stored in the EU data centre."),
    ("How often is the risk register reviewed?", "The AI Assurance Board owns the risk register."),
    ("How long must a deployer keep its records?", "A DEPLOYER MAY KEEP RECORDS IN ANY FORM."),  # "MAY" is no month
])
def test_a_text_on_the_topic_without_the_value_leaves_it_missing(question, text):
    assert len(missing_values(question, [text])) == 1


@pytest.mark.parametrize("question, words", [
    ("How many working days does the privacy office have to decide?", ["working", "days"]),
    ("How many people sit on the review board?", ["people", "sit"]),
    ("Is there a limit on how many images one person can create?", ["images", "one", "person"]),
    ("How many Sentinel alerts per 100 admissions are allowed?", ["sentinel", "alerts"]),
    ("What's the minimum number of members a committee must have?", ["members"]),
    ("How many Annex A controls are only partly in place?", ["annex", "controls"]),  # "A" labels, no article
    ("How many are there?", []),  # it does not say what it counts: any number answers it
])
def test_what_a_how_many_question_counts(question, words):
    from assistant.answering.values import counted_words

    assert counted_words(question) == words


def test_a_partial_answer_names_the_kind_of_value_it_could_not_find():
    lead = partial_lead("staff", ["salary"], ["an amount of money"])
    assert "nothing in them states an amount of money" in lead and "'salary'" in lead


def test_the_judge_reads_value_missing_from_the_best_units():
    from assistant.answering.candidates import Query
    from assistant.answering.judge import CANDIDATE_SIGNALS, signals

    query = Query("What's the email address for the data protection team?", np.zeros(3), [], np.zeros((1, 3)),
                  {}, "", [])
    on_topic = signals([_Unit("The data protection team handles requests."), _Unit("It meets monthly.")], query)
    stated = signals([_Unit("Write to dpo@example.org."), _Unit("It meets monthly.")], query)
    index = CANDIDATE_SIGNALS.index("value_missing")
    assert on_topic[index] == 1.0 and stated[index] == 0.0


@pytest.mark.parametrize("sentence, states_a_rule", [
    ("Do not use the scribe when a relative is interpreting.", True),
    ("- Never paste patient data into a public chatbot.", True),
    ("You may use the assistant to draft job adverts.", True),
    ("Deployers shall monitor the operation of the system.", True),
    ("Recording meetings with customers is not allowed.", True),
    ("Transcripts are deleted automatically after 90 days.", False),
    ("The tool was approved by the committee in May.", False),
    ("Staff who use the tool should find it quicker.", False),
])
def test_a_permission_question_is_answered_by_a_sentence_that_states_a_rule(sentence, states_a_rule):
    """"May I ...?" is answered by an instruction, an obligation or a ban, not by any sentence with "may" in it."""
    from assistant.answering.features import answer_types, type_match

    types = answer_types("Can I switch on automatic transcripts in customer calls?")
    assert types == ["policy"]
    assert type_match(types, sentence) == (1.0 if states_a_rule else 0.0)


def test_an_amount_counts_only_in_a_text_on_the_questions_topic():
    question = "How much do we pay each year for the scribe licences?"
    texts = ["The scribe is our approved note-taking tool.", "Purchases over £25,000 go to procurement."]
    assert [k.name for k in missing_values(question, texts, on_topic=[True, False])] == ["money"]
    assert missing_values(question, texts) == []  # without topic information every text counts
    assert missing_values(question, ["Scribe licences cost £18,000 a year."], on_topic=[True]) == []


def test_a_website_named_in_passing_is_not_a_request_for_its_address():
    # it asks how soon (a time limit), not for the website's address
    assert [k.name for k in asked_values("How soon must the summary on our website be updated?")] == ["duration"]
    assert [k.name for k in asked_values("Which web portal does the regulator use for notices?")] == ["contact"]


def test_the_judge_counts_an_amount_only_in_a_best_unit_holding_a_rare_question_word():
    from assistant.answering.candidates import Query
    from assistant.answering.judge import CANDIDATE_SIGNALS, signals

    query = Query("How much do we pay for the scribe licences?", np.zeros(3), [], np.zeros((1, 3)),
                  {"scribe": 5.0, "licenc": 4.0, "pay": 1.0}, "", [])
    index = CANDIDATE_SIGNALS.index("value_missing")
    off_topic = [_Unit("The scribe is approved.", {"scribe", "approv"}),
                 _Unit("Purchases over £25,000 go to procurement.", {"purchas", "procur", "pay"})]
    on_topic = [_Unit("Scribe licences cost £18,000 a year.", {"scribe", "licenc", "cost", "year"})]
    assert signals(off_topic, query)[index] == 1.0 and signals(on_topic, query)[index] == 0.0


def test_a_partial_answer_names_what_a_count_question_counts():
    from assistant.answering.values import VALUE_KINDS

    count = next(kind for kind in VALUE_KINDS if kind.name == "count")
    question = "How many working days does the privacy office have to decide?"
    lead = partial_lead("staff", [], [count.named_for(question)])
    assert "nothing in them states how many working days" in lead
    assert count.named_for("How many are there?") == "a number"


def test_a_partial_answer_names_a_missing_limit_plainly():
    question = "What's the pass mark for the AI e-learning?"
    (kind,) = missing_values(question, ["The AI e-learning ends with a short quiz."])
    lead = partial_lead("staff", [], [kind.named_for(question)])
    assert "nothing in them states the figure asked for (a limit, a threshold or a score)." in lead


def test_a_missing_frequency_is_named_as_how_often():
    from assistant.answering.values import VALUE_KINDS

    duration = next(kind for kind in VALUE_KINDS if kind.name == "duration")
    assert duration.named_for("How often is the register reviewed?") == "how often"
    assert duration.named_for("How long are transcripts kept?") == "a length of time or a time limit"


@pytest.mark.parametrize("sentence, names_someone", [
    ("THE ATTORNEY GENERAL HAS EXCLUSIVE AUTHORITY TO ENFORCE THIS PART.", True),
    ("A DEPLOYER SHALL NOTIFY THE CONSUMER.", True),
    ("Alerts go to the ward manager and the nurse in charge.", True),
    ("Priya Raman approves every new tool.", True),
    ("THE NOTICE MUST BE CLEAR AND READABLE.", False),
    ("Alerts are shown within two minutes.", False),
])
def test_a_who_question_is_answered_by_a_name_or_a_role_whatever_the_case(sentence, names_someone):
    """A statute set in capitals names its roles in capitals; a "who" question must still see them."""
    from assistant.answering.features import answer_types, type_match

    types = answer_types("Who enforces the rules?")
    assert types == ["person"]
    assert type_match(types, sentence) == (1.0 if names_someone else 0.0)


@pytest.mark.parametrize("sentence, states_a_time", [
    ("Report it within 24 hours.", True),
    ("Reviews take place every quarter.", True),
    ("The policy applies from 1 August 2026.", True),
    ("Tell the AIMS Manager without undue delay.", True),
    ("You may use the tool for drafts.", False),  # "may" the verb is no month
])
def test_a_when_question_is_answered_by_a_date_or_a_length_of_time_one_definition_with_the_judge(
        sentence, states_a_time):
    from assistant.answering.features import ANSWER_TYPES, answer_types, type_match
    from assistant.answering.values import DATE, DURATION

    types = answer_types("How soon must it be reported?")
    assert types == ["time"]
    assert type_match(types, sentence) == (1.0 if states_a_time else 0.0)
    assert DATE.pattern in ANSWER_TYPES["time"][1].pattern and DURATION.pattern in ANSWER_TYPES["time"][1].pattern


@pytest.mark.parametrize("question", [
    "We're about to switch on a tool that rates staff. Do we have to tell anyone before it goes live?",
    "What do providers have to do once the system is running?",
    "Is a deployer required to keep the impact assessment?",
    "May I paste a customer's email into a chatbot?",
])
def test_a_permission_or_obligation_is_recognised_in_any_sentence_of_the_question(question):
    from assistant.answering.features import answer_types

    assert "policy" in answer_types(question)


def test_a_plain_fact_question_asks_for_no_rule():
    from assistant.answering.features import answer_types

    assert "policy" not in answer_types("What does the risk register record for each system? It has many columns.")


@pytest.mark.parametrize("text, says_how_often", [
    ("Everyone must complete AI Essentials (about 30 minutes) before first use.", False),
    ("AI Essentials is repeated every two years.", True),
    ("The course is mandatory and refreshed annually.", True),
    ("Risk owners review their risks at least once a quarter.", True),
])
def test_how_often_is_answered_by_a_frequency_not_by_any_length_of_time(text, says_how_often):
    from assistant.answering.values import missing_values

    question = "How often do I have to redo the AI Essentials course?"
    assert (missing_values(question, [text]) == []) is says_how_often
    assert missing_values("How long does the AI Essentials course take?", [text]) == []  # any length of time


@pytest.mark.parametrize("question, words", [
    ("Which subprocessors does the supplier use to host the chatbot?", ["subprocessors"]),
    ("What financial penalty does a vendor face if it trains on our data?", ["financial", "penalty"]),
    ("What uptime does the vendor guarantee in its contract?", ["uptime"]),
    ("Which AI company's model is the writing assistant running on?", ["company", "model"]),
    # the phrase ends at its verb: an auxiliary, a participle, or a verb in -s before its object
    ("What evidence shows the supplier review was overdue?", ["evidence"]),
    ("What is the most personal data allowed in a test set?", ["personal", "data"]),
    ("Which firm supplies the scoring tool, and when was it last checked?", ["firm"]),
    # words that only qualify, and kinds of value the value kinds read, name nothing of their own
    ("What's the overall rating the auditors gave?", ["rating"]),
    ("What's the maximum fine for a breach?", ["fine"]),
    ("On what date was the chatbot switched off?", []),
    ("What score triggers a model review?", []),
    # questions that ask no "what X"
    ("May I use the image generator for a flyer?", []),
    ("What am I supposed to tell a customer who asks?", []),
    ("What do I do if the tool gets it wrong?", []),
    ("Who approves a new AI system?", []),
])
def test_the_words_that_name_what_a_question_asks_for(question, words):
    from assistant.answering.values import asked_words

    assert asked_words(question) == words


def test_the_judge_reads_whether_the_best_units_name_what_was_asked_for():
    from assistant.answering.candidates import Query
    from assistant.answering.judge import CANDIDATE_SIGNALS, signals

    query = Query("Which subprocessors does the supplier use for the chatbot?", np.zeros(3), [], np.zeros((1, 3)),
                  {"supplier": 2.0, "chatbot": 3.0}, "", [], asked=["subprocessor"])
    index = CANDIDATE_SIGNALS.index("asked_missing")
    on_topic = [_Unit("The supplier hosts the chatbot in the UK.", {"supplier", "host", "chatbot", "uk"})]
    named = [_Unit("The supplier's subprocessors are listed in schedule 3.", {"supplier", "subprocessor", "list"})]
    assert signals(on_topic, query)[index] == 1.0 and signals(named, query)[index] == 0.0
    plain = Query("Who owns the chatbot?", np.zeros(3), [], np.zeros((1, 3)), {"chatbot": 3.0}, "", [])
    assert signals(on_topic, plain)[index] == 0.0  # a question that names no asked-for thing misses nothing
