// expect: config:4: syntax error: expected element class, got ';'
// expect: config:6: redeclaration of element 'a'
a :: Counter;
b :: ;
c :: Discard;
a :: Counter;
