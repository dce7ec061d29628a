DROP TABLE support_organisations;
