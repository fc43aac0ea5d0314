"""Clinical signals from a transcript: risk, emotions, symptoms, behaviours, interventions.

Pure and explainable: every rule is a versioned data file under data/, every signal cites
the utterance ids it rests on.
"""
