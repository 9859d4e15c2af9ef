// expect: config:4: unknown element class 'Countr'
src :: InfiniteSource;

src -> Countr -> Discard;
