# Popeth y mae teulu'n ei ddarllen. Geiriau plaen, caredig; dim manylion achos mewn e-bost.

email-greeting = Annwyl { $name },
email-signature = Gan y tîm cyswllt teulu
email-footer = Anfonwyd y neges hon gan Liaison, y porth cyswllt teulu. Peidiwch ag ateb yr e-bost hwn: mewngofnodwch i'r porth i anfon neges at eich tîm cyswllt teulu.
email-open-portal = Agor y porth

email-family-news-subject = Mae newyddion am eich achos
email-family-news-body = Mae eich tîm cyswllt teulu wedi rhannu rhywbeth newydd gyda chi. Gallwch ei ddarllen pan fyddwch yn barod drwy fewngofnodi i'r porth.

email-family-appointment-subject = Mae apwyntiad wedi'i drefnu neu ei newid
email-family-appointment-body = Mae apwyntiad wedi'i drefnu neu ei newid. Mewngofnodwch i'r porth i weld y manylion, ei ychwanegu at eich calendr, neu roi gwybod i ni os nad yw'r amser yn gyfleus.

email-family-contact-changed-subject = Mae eich cyswllt penodol wedi newid
email-family-contact-changed-body = Bu newid i'r bobl y gallwch gysylltu â nhw am eich achos. Mewngofnodwch i'r porth i weld pwy i'w ffonio a phryd.

email-family-sign-in-link-subject = Eich dolen fewngofnodi ar gyfer y porth cyswllt teulu
email-family-sign-in-link-body = Defnyddiwch y ddolen isod i fewngofnodi. Mae'n gweithio unwaith ac am { $minutes } munud. Os na wnaethoch ofyn amdani, gallwch anwybyddu'r e-bost hwn.

email-family-invitation-subject = Rydych wedi cael gwahoddiad i'r porth cyswllt teulu
email-family-invitation-body = Mae eich swyddog cyswllt teulu wedi eich gwahodd i borth preifat lle gallwch weld sut mae pethau'n datblygu, pwy i gysylltu â nhw, ac anfon cwestiynau. Mae'r ddolen isod yn gweithio unwaith ac am { $hours } awr.
