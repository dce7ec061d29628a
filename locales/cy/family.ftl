# Popeth y mae teulu'n ei ddarllen. Geiriau plaen, caredig; dim manylion achos mewn e-bost.

email-greeting = Annwyl { $name },
email-signature = Gan dîm cyswllt teulu { $force }
email-footer = Anfonwyd y neges hon gan Liaison, y porth cyswllt teulu. Peidiwch ag ateb yr e-bost hwn: mewngofnodwch i'r porth i anfon neges at eich tîm cyswllt teulu.
email-footer-discreet = Peidiwch ag ateb yr e-bost hwn.
email-open-portal = Mewngofnodwch i'w ddarllen pan fyddwch yn barod
email-use-link = Mewngofnodi
email-portal-address = Cyfeiriad y porth yw { $portal }. Gallwch fewngofnodi yno bob amser gyda'ch cyfeiriad e-bost.

email-subject = Cyswllt teulu { $force }: { $summary }
email-subject-several = Cyswllt teulu { $force }: { $count } peth newydd i chi
email-subject-discreet = Rhywbeth newydd i chi ei ddarllen
email-subject-several-discreet = { $count } peth newydd i chi eu darllen

email-from-flo = eich swyddog cyswllt teulu, { $name },
email-from-deputy_flo = eich dirprwy swyddog cyswllt teulu, { $name },
email-from-sio = yr uwch swyddog ymchwilio, { $name },
email-from-coordinator = cydlynydd cyswllt teulu, { $name },
email-from-team = eich tîm cyswllt teulu

email-news-by = Mae { $from } wedi rhannu rhywbeth newydd gyda chi.
email-appointment-by = Mae { $from } wedi trefnu neu newid apwyntiad gyda chi. Gallwch ddweud a yw'n gyfleus i chi.
email-contact-changed-by = Mae { $from } wedi newid pwy y gallwch gysylltu â nhw am eich achos.
email-several-by = Mae { $from } wedi rhannu { $count } peth newydd gyda chi.
email-discreet-one = Mae rhywbeth newydd i chi ei ddarllen.
email-discreet-several = Mae { $count } peth newydd i chi eu darllen.

email-family-news-subject = Mae newyddion am eich achos
email-family-appointment-subject = Mae apwyntiad wedi'i drefnu neu ei newid
email-family-contact-changed-subject = Mae eich cyswllt penodol wedi newid

email-family-sign-in-link-subject = Eich dolen fewngofnodi ar gyfer y porth cyswllt teulu
email-family-sign-in-link-body = Defnyddiwch y ddolen isod i fewngofnodi. Mae'n gweithio unwaith ac am { $minutes } munud. Os na wnaethoch ofyn amdani, gallwch anwybyddu'r e-bost hwn.

email-family-invitation-subject = Rydych wedi cael gwahoddiad i'r porth cyswllt teulu
email-family-invitation-body = Mae { $from } wedi eich gwahodd i borth preifat lle gallwch weld sut mae pethau'n datblygu, pwy i gysylltu â nhw, ac anfon cwestiynau. Mae'r ddolen isod yn gweithio unwaith ac am { $hours } awr.
