def test_factories_build_a_bookable_world(appointment, api_client_for):
    assert appointment.psychologist.professional_profile.session_duration == 60
    assert appointment.patient.patient_profile.pk
    assert appointment.patient.username.startswith("user")
