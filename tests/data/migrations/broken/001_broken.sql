-- A migration with a syntax error on line 3.
CREATE TABLE fine (id int);
CREATE TABLE broken (id int,;
