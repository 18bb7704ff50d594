"""Demo CBT entries for every tool, following each patient's story.

Improving patients' thought records show a growing drop in intensity and their activities lift
mood; escalating and relapsing patients practise less and leave homework overdue. Everything is
bulk-created (no audit events: these are synthetic records made by the demo command).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from django.utils import timezone

from mitra.cbt.actions import payload_digest
from mitra.cbt.catalogue import distortions
from mitra.cbt.models import (
    Activity,
    ActivitySlot,
    ExposureItem,
    ExposureLog,
    Homework,
    RelapsePlan,
    ThoughtRecord,
    Value,
)
from mitra.patients.cohort import team_clinician

SITUATIONS = [
    ("Alone at home after work, craving kratom", "I can't get through the evening without it",
     "anxious", "craving"),
    ("Manager asked for a meeting tomorrow", "I'm going to be fired", "anxious", "ashamed"),
    ("Friend cancelled our plans", "Nobody wants to spend time with me", "sad", "lonely"),
    ("Woke up at 4am and could not sleep", "Tomorrow will be a disaster", "anxious", "tired"),
    ("Missed a diary day", "I always mess everything up", "ashamed", "sad"),
    ("Partner asked about my use", "They think I'm weak", "angry", "ashamed"),
    ("Crowded supermarket", "I'll panic and everyone will see", "anxious", "embarrassed"),
    ("Pain flared up in my back", "This will never get better", "hopeless", "irritable"),
]
BALANCED = [
    "Evenings have been hard, but I got through two of them this week with a walk and a call.",
    "I don't know what the meeting is about; last time it was about a new project.",
    "One cancelled plan is not proof. She suggested another day.",
    "Bad nights have happened before and I still managed the next day.",
    "Missing one day is not failing; I can fill in today.",
    "They asked because they care; I can tell them about the plan.",
    "I have felt panic before and it passed within minutes.",
    "Flare-ups come and go; last month it eased after a few days.",
]
TRAP_KEYS = ["all_or_nothing", "catastrophising", "fortune_telling", "mind_reading",
             "overgeneralising", "labelling", "emotional_reasoning", "should_statements"]
VALUES = [("Family", ["Call my sister", "Cook dinner with my kids", "Board game night"]),
          ("Health", ["Walk 20 minutes", "Stretch before bed", "Cook a proper breakfast"]),
          ("Work and learning", ["Tidy the workbench", "Read for 15 minutes", "Update my CV"]),
          ("Friends", ["Text an old friend", "Go to the climbing gym"]),
          ("Calm", ["Breathing practice", "Sit in the garden"])]
LADDER = [("Say hello to a neighbour", 20), ("Take the bus two stops", 35),
          ("Phone the GP surgery", 45), ("Go to the supermarket at a busy time", 60),
          ("Eat in a café alone", 70), ("Speak up in a team meeting", 85)]
PLAN = {
    "triggers": ["Evenings alone", "Arguments at home", "Back pain flare-ups", "Payday"],
    "high_risk_situations": ["Passing the smoke shop on the way home", "Friday nights"],
    "warning_signs": ["Skipping the diary", "Sleeping badly two nights running",
                      "Telling myself one more time won't matter"],
    "coping_strategies": ["Ride the urge for 20 minutes", "Walk round the block",
                          "Read my reasons for change", "Hot shower, then bed"],
    "people_to_call": ["Sam (sister)", "Care team during office hours", "Peer support line"],
    "reasons_for_change": ["Be present for my kids", "Stop worrying about money",
                           "Feel in charge of my day"],
}
# Thought-record intensity drop (points, 0-100) at the start and end of the period, per story.
DROP = {"improving": (10, 40), "stable": (15, 18), "escalating": (8, 4), "tapering": (12, 28),
        "relapse": (20, 8), "suicide_risk": (5, 10)}
COMPLETION = {"improving": 0.85, "stable": 0.7, "escalating": 0.35, "tapering": 0.7,
              "relapse": 0.45, "suicide_risk": 0.4}


def _clip(value: float, lo: int, hi: int) -> int:
    return int(max(lo, min(hi, round(value))))


def _at(day, hour: int = 19):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def populate(ctx) -> None:
    rng = ctx.rng("cbt")
    version = distortions().version
    thoughts, values, plans, homework, items = [], [], [], [], []
    pending_activities = []  # (patient story, Activity) after values exist
    today, start = ctx.today, ctx.start
    window = min(ctx.days, 180)
    first_day = today - timedelta(days=window - 1)

    for dp in ctx.patients:
        patient, story = dp.patient, dp.trajectory
        clinician = team_clinician(ctx, dp.index)
        user = patient.user
        # Thought records, about one a week.
        lo, hi = DROP.get(story, (10, 15))
        day = first_day + timedelta(days=rng.randrange(0, 6))
        while day <= today:
            progress = (day - first_day).days / max(1, window - 1)
            situation, thought, emotion, second = SITUATIONS[rng.randrange(len(SITUATIONS))]
            before = rng.randint(60, 90)
            drop = lo + (hi - lo) * progress + rng.uniform(-6, 6)
            emotions = [{"emotion": emotion, "before": before,
                         "after": _clip(before - drop, 0, 100)}]
            if rng.random() < 0.4:
                b2 = rng.randint(40, 80)
                emotions.append({"emotion": second, "before": b2,
                                 "after": _clip(b2 - drop * 0.8, 0, 100)})
            if rng.random() < 0.1:
                for e in emotions:  # some records are left without re-rating
                    e["after"] = None
            data = {
                "occurred_on": day, "situation": situation, "automatic_thoughts": thought,
                "emotions": emotions, "distortions": sorted(rng.sample(TRAP_KEYS, 2)),
                "evidence_for": "It has felt like this before.",
                "evidence_against": "Last time it turned out better than I feared.",
                "balanced_thought": BALANCED[SITUATIONS.index(
                    (situation, thought, emotion, second))],
            }
            thoughts.append(ThoughtRecord(
                uuid=uuid.uuid4(), patient=patient, created_by=user,
                payload_digest=payload_digest(data), catalogue_version=version, **data))
            day += timedelta(days=rng.randint(5, 9) if story != "escalating" else
                             rng.randint(8, 16))

        # Values and activities.
        for name, acts in rng.sample(VALUES, 3):
            value = Value(uuid=uuid.uuid4(), patient=patient, created_by=user, name=name,
                          why="It matters to me.")
            values.append(value)
            for act in acts[:2]:
                pending_activities.append((dp, value, act))

        # An exposure ladder for anxious patients (every other one, and the demo patient).
        if dp.index % 2 == 0:
            for situation, expected in LADDER[: rng.randint(4, 6)]:
                items.append((dp, ExposureItem(
                    uuid=uuid.uuid4(), patient=patient, created_by=user, situation=situation,
                    expected_suds=_clip(expected + rng.randint(-5, 5), 0, 100))))

        # A relapse-prevention plan for most; revised once after a relapse.
        if story != "stable" or dp.index % 4 == 0:
            first = {k: rng.sample(v, max(1, len(v) - 1)) for k, v in PLAN.items()}
            plans.append(RelapsePlan(uuid=uuid.uuid4(), patient=patient, created_by=clinician,
                                     version=1, payload_digest=payload_digest(first), **first))
            if story == "relapse":
                second = {k: list(v) for k, v in PLAN.items()}
                plans.append(RelapsePlan(uuid=uuid.uuid4(), patient=patient, created_by=user,
                                         version=2, payload_digest=payload_digest(second),
                                         **second))

        # Homework: done in the past, sometimes overdue, one open for the coming week.
        kinds = ["thought_record", "activation", "module", "exposure" if dp.index % 2 == 0
                 else "relapse_plan"]
        for n, kind in enumerate(kinds):
            due = today - timedelta(days=7 * (len(kinds) - n) - 3) if n < len(kinds) - 1 \
                else today + timedelta(days=rng.randint(2, 6))
            if due < start:
                due = start + timedelta(days=n + 3)
            done = due < today and rng.random() < COMPLETION.get(story, 0.6)
            slug = "cravings" if kind == "module" else ""
            fields = {"kind": kind, "due_on": due, "module_slug": slug,
                      "instructions": "Bring it to our next session."}
            homework.append(Homework(
                uuid=uuid.uuid4(), patient=patient, created_by=clinician,
                payload_digest=payload_digest(fields), **fields,
                completed_at=_at(due - timedelta(days=rng.randint(0, 2))) if done else None,
                completion_note="Done, it helped a bit." if done and rng.random() < 0.5 else ""))

    ThoughtRecord.objects.bulk_create(thoughts, batch_size=2000)
    Value.objects.bulk_create(values, batch_size=2000)
    activities = [Activity(uuid=uuid.uuid4(), patient=dp.patient, created_by=dp.patient.user,
                           name=name, value=value) for dp, value, name in pending_activities]
    Activity.objects.bulk_create(activities, batch_size=2000)
    ExposureItem.objects.bulk_create([item for _dp, item in items], batch_size=2000)
    RelapsePlan.objects.bulk_create(plans, batch_size=2000)
    Homework.objects.bulk_create(homework, batch_size=2000)

    # Scheduled activities over the last eight weeks and the rest of this week.
    by_patient: dict[int, list[Activity]] = {}
    for (dp, _value, _name), act in zip(pending_activities, activities, strict=True):
        by_patient.setdefault(dp.index, []).append(act)
    slots = []
    ba_start = max(start, today - timedelta(days=55))
    week_end = today + timedelta(days=6 - today.weekday())
    for dp in ctx.patients:
        acts = by_patient[dp.index]
        rate = COMPLETION.get(dp.trajectory, 0.6)
        lift = 2 if dp.trajectory == "improving" else 1 if rate >= 0.6 else 0
        day = ba_start
        while day <= week_end:
            if rng.random() < 0.55:
                slot = ActivitySlot(uuid=uuid.uuid4(), patient=dp.patient,
                                    created_by=dp.patient.user, activity=rng.choice(acts),
                                    scheduled_for=day,
                                    at_time=time(rng.choice([8, 12, 17, 19]), 0))
                if day <= today and rng.random() < rate:
                    before = rng.randint(2, 6)
                    slot.completed_at = _at(day, 20)
                    slot.mastery, slot.pleasure = rng.randint(3, 9), rng.randint(2, 9)
                    slot.mood_before = before
                    slot.mood_after = _clip(before + lift + rng.randint(-1, 1), 0, 10)
                slots.append(slot)
            day += timedelta(days=1)
    ActivitySlot.objects.bulk_create(slots, batch_size=2000)

    # Practice logs for the lower rungs of each ladder: peak distress falls with repetition
    # for improving patients, more slowly for others.
    logs = []
    for dp, item in items:
        if item.expected_suds > 50:
            continue
        fall = 8 if dp.trajectory == "improving" else 4 if dp.trajectory != "escalating" else 1
        day = max(start, today - timedelta(days=50)) + timedelta(days=rng.randint(0, 6))
        peak = _clip(item.expected_suds + rng.randint(0, 15), 0, 100)
        for _ in range(rng.randint(3, 6)):
            if day > today:
                break
            before = _clip(peak * 0.6 + rng.randint(-5, 5), 0, 100)
            after = _clip(peak * 0.5 + rng.randint(-5, 5), 0, 100)
            data = {"done_on": day, "suds_before": min(before, peak), "suds_peak": peak,
                    "suds_after": min(after, peak), "minutes": rng.choice([10, 20, 30, 45]),
                    "note": ""}
            logs.append(ExposureLog(uuid=uuid.uuid4(), patient=dp.patient, item=item,
                                    created_by=dp.patient.user,
                                    payload_digest=payload_digest({"item": item, **data}),
                                    **data))
            peak = _clip(peak - fall + rng.randint(-3, 3), 5, 100)
            day += timedelta(days=rng.randint(4, 9))
    ExposureLog.objects.bulk_create(logs, batch_size=2000)
