-- Which region a unit serves (a CTKV is "Khu vực 1" … "Khu vực 9"; the IT Center and agents may be
-- nationwide): free text the admin keeps, shown in lists and letters.
ALTER TABLE units ADD COLUMN region text;
