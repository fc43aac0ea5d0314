"""Practice, clinicians, clients, guardians, care teams, diagnoses, consents, appointments."""
