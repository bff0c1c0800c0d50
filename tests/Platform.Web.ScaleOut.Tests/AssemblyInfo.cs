// The instances of one test class share a database and a Redis; classes run one after another so
// start-up (migrations, seeding) never races between classes.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
