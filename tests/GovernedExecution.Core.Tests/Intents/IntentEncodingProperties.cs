using System.Formats.Cbor;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Intents;

/// <summary>Invariants of the intent encoding (docs/artifact-format.md, section 3) over generated contexts.</summary>
public sealed class IntentEncodingProperties
{
    [Property(MaxTest = 300)]
    public Property Order_of_context_keys_and_set_items_does_not_change_the_digest() =>
        Prop.ForAll(Contexts().ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (pairs, seed) =>
        {
            var random = new Random(seed);
            var shuffled = pairs.OrderBy(_ => random.Next()).ToList();
            var set = IntentValue.Set(pairs.Select(p => p.Value));
            var reversedSet = IntentValue.Set(pairs.Select(p => p.Value).Reverse());
            return IntentEncoding.Digest(With(pairs, set)).AsSpan().SequenceEqual(IntentEncoding.Digest(With(shuffled, reversedSet)));
        });

    [Property(MaxTest = 300)]
    public Property Changing_one_value_changes_the_digest() =>
        Prop.ForAll(Contexts().Where(p => p.Count > 0).ToArbitrary(), pairs =>
        {
            var changed = pairs.Select((p, i) => i == 0 ? new KeyValuePair<string, IntentValue>(p.Key, IntentValue.String("changed:" + p.Value)) : p).ToList();
            return !IntentEncoding.Digest(With(pairs, null)).AsSpan().SequenceEqual(IntentEncoding.Digest(With(changed, null)));
        });

    [Property(MaxTest = 300)]
    public Property Every_encoding_is_core_deterministic_cbor() =>
        Prop.ForAll(Contexts().ToArbitrary(), pairs =>
        {
            var reader = new CborReader(IntentEncoding.Encode(With(pairs, IntentValue.Set(pairs.Select(p => p.Value)))), CborConformanceMode.Canonical);
            reader.SkipValue();
            return reader.BytesRemaining == 0;
        });

    private static ExecutionIntent With(IEnumerable<KeyValuePair<string, IntentValue>> pairs, IntentValue? set)
    {
        var context = pairs.ToDictionary(p => p.Key, p => p.Value);
        if (set is not null)
        {
            context["\u0000set"] = set;
        }

        return new ExecutionIntent(GovernedTestHost.Agent(), new EntityReference("Action", "a"), new EntityReference("R", "r")) { Context = context };
    }

    private static Gen<List<KeyValuePair<string, IntentValue>>> Contexts()
    {
        var key = Gen.Elements("a", "b", "aa", "z", "é", "\uE000a", "\U0001F600", "amount", "owner", "tags", "x1", "long-key-name-over-23-bytes");
        var value = Gen.OneOf(
            Gen.Choose(int.MinValue, int.MaxValue).Select(i => IntentValue.Long((long)i * 3)),
            Gen.Elements("", "x", "Grüße", "😀").Select(IntentValue.String),
            Gen.Elements(true, false).Select(IntentValue.Boolean),
            Gen.Choose(-100000, 100000).Select(i => IntentValue.Decimal((i / 10000m).ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture))),
            Gen.Elements("p", "q").Select(id => IntentValue.Entity(new EntityReference("User", id))));
        return Gen.ListOf(key.Zip(value)).Select(list => list
            .GroupBy(p => p.Item1, StringComparer.Ordinal)
            .Select(g => new KeyValuePair<string, IntentValue>(g.Key, g.First().Item2))
            .ToList());
    }
}
