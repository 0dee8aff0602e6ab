"""The measurement REST API (`/api/v1/`, session authentication): instruments and the scoring
preview, assignments, responses with their pinned scores, the FHIR export, and the alert inbox.

Permissions are the UI's (practice.access): clinical staff (owner, clinician) reach the clients
they may see, a client reaches only their own results, front desk and billing see no clinical
data. A client out of reach, or another practice's object, is a 404 like a missing one. Every
read of a client's data leaves an audit event. A submitted response cannot be changed or deleted
through the API (405); a clinician can only mark it entered in error.

Endpoints authenticate, authorise, parse, call one service or selector, and serialize."""
