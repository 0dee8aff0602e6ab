"""Demo forms (run inside the demo practice's schema by practice.demo.seed_demo): a new-client
intake the demo client filled in and signed (typed name and a drawn mark), and a telehealth
consent waiting for them, through the same services the pages use. Idempotent: nothing is
added once the practice has a form template."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageDraw

from practice.formbuilder import services
from practice.formbuilder.models import FormTemplate
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.services import RequestMeta
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"

INTAKE: dict[str, Any] = {
    "title": "New client intake",
    "description": "Please fill this in before your first session. It takes about five "
                   "minutes.",
    "sections": [
        {"key": "s1", "title": "About you", "description": "", "fields": [
            {"key": "preferred_name", "type": "short_text", "label": "Preferred name",
             "required": True},
            {"key": "born", "type": "date", "label": "Date of birth", "required": True},
            {"key": "contact", "type": "single_choice", "label": "How should we contact you?",
             "options": ["Email", "Phone call", "Text message"], "required": True},
            {"key": "emergency_contact", "type": "short_text",
             "label": "Emergency contact (name and phone)", "required": True},
        ]},
        {"key": "s2", "title": "What brings you here", "description": "", "fields": [
            {"key": "reason", "type": "long_text", "label": "In your own words, what would "
             "you like help with?"},
            {"key": "concerns", "type": "multiple_choice", "label": "Which of these affect you "
             "at the moment?", "options": ["Sleep", "Low mood", "Worry or anxiety", "Stress at "
                                           "work", "Relationships", "Alcohol or drugs"]},
            {"key": "therapy_before", "type": "yes_no", "label": "Have you been in therapy "
             "before?", "required": True},
            {"key": "medications", "type": "number", "label": "How many medications do you "
             "take regularly?", "min": 0, "max": 50, "integer_only": True},
        ]},
        {"key": "s3", "title": "Agreement", "description": "", "fields": [
            {"key": "signature", "type": "signature", "label": "I confirm that the information "
             "I have given is accurate, and I have read the practice's privacy notice."},
        ]},
    ],
}
TELEHEALTH: dict[str, Any] = {
    "title": "Consent to telehealth sessions",
    "description": "Some sessions may take place by video.",
    "sections": [{"key": "s1", "title": "Telehealth", "description": "", "fields": [
        {"key": "private_room", "type": "yes_no", "label": "Will you join from a private "
         "place where you cannot be overheard?", "required": True},
        {"key": "location", "type": "short_text", "label": "Usual address during sessions "
         "(so we can send help in an emergency)", "required": True},
        {"key": "signature", "type": "signature", "label": "I consent to receive therapy by "
         "video and understand its benefits and limits."},
    ]}],
}
ANSWERS = {"preferred_name": "Jordan", "born": "1991-06-14", "contact": "Text message",
           "emergency_contact": "Sam Rivera, (555) 010-4477",
           "reason": "I have been sleeping badly and worrying a lot since changing jobs.",
           "concerns": ["Sleep", "Worry or anxiety", "Stress at work"],
           "therapy_before": False, "medications": "1"}


def _drawn_signature() -> str:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 150), (90, 60), (120, 140), (170, 70), (210, 150), (260, 90), (330, 120),
               (400, 80), (470, 130), (560, 100)], fill=(17, 17, 17, 255), width=5,
              joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def seed(practice: Practice) -> None:
    if FormTemplate.objects.exists():
        return
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    front_desk = User.objects.filter(role=Role.FRONT_DESK).order_by("pk").first()
    if client is None or clinician is None:
        return
    sharer = front_desk or clinician
    templates = []
    for definition in (INTAKE, TELEHEALTH):
        template = services.template_create(title=definition["title"], definition=definition,
                                            actor=Actor.of(clinician))
        services.template_publish(template_id=template.pk, actor=Actor.of(clinician))
        templates.append(template)
    intake = services.form_share(client_id=client.pk, template_id=templates[0].pk,
                                 actor=Actor.of(sharer))
    services.form_answers_save(assignment_id=intake.pk, answers=ANSWERS, submit=True,
                               actor=Actor.of(client))
    services.form_sign(assignment_id=intake.pk, typed_name=client.full_name, consent=True,
                       drawn=_drawn_signature(),
                       actor=Actor.of(client, meta=RequestMeta(ip_address="198.51.100.23",
                                        user_agent="Mozilla/5.0 (iPhone; demo)")))
    services.form_share(client_id=client.pk, template_id=templates[1].pk, actor=Actor.of(sharer))
