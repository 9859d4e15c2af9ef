// expect: config:3: 'cl :: Classifier' output 1 unused
InfiniteSource
  -> cl :: Classifier(12/0800, -)
  -> Discard;
