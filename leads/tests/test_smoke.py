from leads.models import LeadStatus, LeadStatusChange


def test_enquiry_gets_first_id_of_its_center(c, lead):
    assert lead.enquiry_id == "TLGC0001"
    assert lead.status == LeadStatus.ENQUIRY_RECEIVED
    assert LeadStatusChange.objects.filter(lead=lead).count() == 1
