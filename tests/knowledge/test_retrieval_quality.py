"""Retrieval quality with the real all-MiniLM-L6-v2 (local embeddings server) on a small
corpus with known answers: recall@5 must be at least 0.9."""

import httpx

from tests.knowledge.conftest import add_ready, create_kb

CORPUS = {
    "vacation.md": "# Vacation policy\n\nEmployees get 25 days of paid annual leave. Unused "
    "days can be carried over until the end of March of the following year.",
    "expenses.md": "# Expense reports\n\nSubmit receipts within 30 days. Meals while "
    "travelling are reimbursed up to 60 euros per day.",
    "security.md": "# Password rules\n\nPasswords must have at least 14 characters and "
    "two-factor authentication is mandatory for every company account.",
    "onboarding.md": "# First week\n\nNew hires receive a laptop on their first day and meet "
    "their mentor, who helps them set up the development environment.",
    "parking.md": "# Parking\n\nThe garage under building B has 120 spaces; electric cars "
    "charge for free on level minus two.",
    "cafeteria.md": "# Cafeteria\n\nLunch is served from 11:30 to 14:00. A vegetarian menu is "
    "available every day, and the coffee machines are free.",
    "remote.md": "# Working from home\n\nStaff may work remotely up to three days a week after "
    "agreeing the schedule with their team lead.",
    "backup.md": "# Backups\n\nThe servers are backed up every night at 2 am and copies are "
    "kept for 90 days in a second data centre.",
    "health.md": "# Health insurance\n\nThe company pays for private health insurance, "
    "including dental care, for employees and their children.",
    "training.md": "# Learning budget\n\nEvery employee has 1500 euros per year for courses, "
    "conferences and books related to their work.",
}
QUESTIONS = {
    "How many days off do I get per year?": "vacation.md",
    "Can I keep my unused holidays for next year?": "vacation.md",
    "What is the daily limit for food on business trips?": "expenses.md",
    "How long do I have to hand in receipts?": "expenses.md",
    "How long must my password be?": "security.md",
    "Is 2FA required?": "security.md",
    "What happens on my first day at the company?": "onboarding.md",
    "Where can I charge my electric car?": "parking.md",
    "How many parking places are there?": "parking.md",
    "When can I eat lunch?": "cafeteria.md",
    "Is there vegetarian food?": "cafeteria.md",
    "How often can I work from home?": "remote.md",
    "When are the servers backed up?": "backup.md",
    "How long are backup copies retained?": "backup.md",
    "Does the insurance cover the dentist?": "health.md",
    "Is my family covered by health insurance?": "health.md",
    "How much money can I spend on training courses?": "training.md",
    "Will the company pay for a conference ticket?": "training.md",
    "Who helps new employees set up their computer?": "onboarding.md",
    "Is coffee free at the office?": "cafeteria.md",
}


def test_recall_at_5_with_minilm(alice: httpx.Client, minilm: int) -> None:
    kb = create_kb(alice, minilm, name="Employee handbook")
    for name, text in CORPUS.items():
        add_ready(alice, kb["id"], name, text.encode())
    assert alice.get(f"/api/knowledge-bases/{kb['id']}").json()["embedding_dim"] == 384
    found = 0
    for question, expected in QUESTIONS.items():
        result = alice.post(
            f"/api/knowledge-bases/{kb['id']}/retrieve", json={"query": question, "top_k": 5}
        ).json()
        names = [hit["document"]["filename"] for hit in result["hits"]]
        found += expected in names
    recall = found / len(QUESTIONS)
    print(f"\nrecall@5 (all-MiniLM-L6-v2, {len(QUESTIONS)} questions): {recall:.2f}")
    assert recall >= 0.9
