using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// The entity data one decision could have consulted, and its request context, in canonical form
/// (docs/lineage-format.md, "Replayable decisions"). The slice is the closure of the request's principal, action and
/// resource, the entities the policy set names as literals and the entities in the context, under "its ancestors"
/// and "the entities its attribute and tag values hold": every entity an expression can reach starts in one of those
/// roots and is reached through those steps, so evaluating the request against the slice alone gives the decision it
/// gets against the whole store. It is computed from the store the evaluator decided with (a provider's answer for
/// that request) and never looks inside the evaluation.
/// </summary>
internal sealed class CedarEntitySlice
{
    /// <summary>The most entities a slice holds; a larger closure is not recorded (the decision is then not replayable).</summary>
    internal const int MaxEntities = 10_000;

    private CedarEntitySlice(byte[]? entities, int count, byte[] context)
    {
        EntitiesJson = entities;
        Count = count;
        ContextJson = context;
        EntitiesDigest = entities is null ? null : Convert.ToHexStringLower(SHA256.HashData(entities));
        ContextDigest = Convert.ToHexStringLower(SHA256.HashData(context));
    }

    /// <summary>Gets the canonical Cedar entities JSON (UTF-8), or null when the closure exceeded <see cref="MaxEntities"/>.</summary>
    internal byte[]? EntitiesJson { get; }

    /// <summary>Gets the number of entities in the slice (more than <see cref="MaxEntities"/> when it was cut).</summary>
    internal int Count { get; }

    /// <summary>Gets the lowercase hex SHA-256 of <see cref="EntitiesJson"/>, or null when it was not computed.</summary>
    internal string? EntitiesDigest { get; }

    /// <summary>Gets the canonical JSON (UTF-8) of the request context.</summary>
    internal byte[] ContextJson { get; }

    /// <summary>Gets the lowercase hex SHA-256 of <see cref="ContextJson"/>.</summary>
    internal string ContextDigest { get; }

    /// <summary>
    /// Takes the slice of <paramref name="store"/> for one request. The closure of the policy set's literals does not
    /// depend on the request: when <paramref name="literals"/> is the immutable <see cref="CedarSliceLiterals"/> of
    /// <see cref="Literals"/>, it is computed once per (entity store, literal set) pair, keyed by those two objects
    /// (both immutable), and each entity's canonical encoding once per store; a request only adds the closure of its
    /// own principal, action, resource and context entities outside it. The bytes are those of
    /// <see cref="CanonicalJson.Entities"/> over the whole closure, whatever was cached.
    /// </summary>
    internal static CedarEntitySlice Take(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore store, IReadOnlyCollection<EntityUid> literals)
    {
        var cache = Caches.GetValue(store, static s => new StoreCache(s));
        var closure = literals is CedarSliceLiterals known
            ? cache.Closures.GetValue(known, k => new LiteralClosure(cache, k))
            : new LiteralClosure(cache, literals);
        if (closure.Oversized)
        {
            return new CedarEntitySlice(null, MaxEntities + 1, CanonicalJson.Record(context));
        }

        // The request's own roots, walked with the same steps; an entity in the literals' closure has its whole
        // closure there already, so the walk stops at it.
        var extra = new List<int>();
        var seen = new HashSet<int>();
        var queue = new Queue<int>();
        void Visit(EntityUid uid)
        {
            var ordinal = store.OrdinalOf(uid);
            if (ordinal >= 0 && !closure.Contains(ordinal) && seen.Add(ordinal))
            {
                extra.Add(ordinal);
                queue.Enqueue(ordinal);
            }
        }

        Visit(principal);
        Visit(action);
        Visit(resource);
        VisitValue(context, Visit);
        while (queue.Count > 0)
        {
            if (closure.Count + extra.Count > MaxEntities)
            {
                return new CedarEntitySlice(null, MaxEntities + 1, CanonicalJson.Record(context));
            }

            Expand(store.At(queue.Dequeue()), Visit);
        }

        if (closure.Count + extra.Count > MaxEntities)
        {
            return new CedarEntitySlice(null, MaxEntities + 1, CanonicalJson.Record(context));
        }

        extra.Sort((a, b) => ByteOrder.Instance.Compare(cache.Encode(a).Uid, cache.Encode(b).Uid));
        var count = closure.Count + extra.Count;
        var length = 2 + Math.Max(0, count - 1) + closure.Length;
        foreach (var ordinal in extra)
        {
            length += cache.Encode(ordinal).Whole.Length;
        }

        // A sorted merge of the two closures (disjoint), written as CanonicalJson.Entities writes the whole.
        var bytes = GC.AllocateUninitializedArray<byte>(length); // every byte is written below
        var at = 0;
        bytes[at++] = (byte)'[';
        int i = 0, j = 0;
        var sorted = closure.Sorted;
        while (i < sorted.Length || j < extra.Count)
        {
            Encoded next;
            if (j == extra.Count || (i < sorted.Length && ByteOrder.Instance.Compare(cache.Encode(sorted[i]).Uid, cache.Encode(extra[j]).Uid) < 0))
            {
                next = cache.Encode(sorted[i++]);
            }
            else
            {
                next = cache.Encode(extra[j++]);
            }

            if (at > 1)
            {
                bytes[at++] = (byte)',';
            }

            next.Whole.CopyTo(bytes, at);
            at += next.Whole.Length;
        }

        bytes[at++] = (byte)']';
        return new CedarEntitySlice(bytes, count, CanonicalJson.Record(context));
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CedarEntityStore, StoreCache> Caches = new();

    private static void VisitValue(CedarValue value, Action<EntityUid> visit)
    {
        switch (value)
        {
            case EntityUid uid:
                visit(uid);
                break;
            case SetValue set:
                foreach (var item in set.Items)
                {
                    VisitValue(item, visit);
                }

                break;
            case RecordValue record:
                foreach (var field in record.Attrs.Values)
                {
                    VisitValue(field, visit);
                }

                break;
        }
    }

    /// <summary>The steps of the closure from one entity: its ancestors and the entities its attribute and tag values hold.</summary>
    private static void Expand(CedarEntity entity, Action<EntityUid> visit)
    {
        foreach (var ancestor in entity.Ancestors)
        {
            visit(ancestor);
        }

        foreach (var value in entity.Attrs.Values)
        {
            VisitValue(value, visit);
        }

        if (entity.Tags is { } tags)
        {
            foreach (var value in tags.Values)
            {
                VisitValue(value, visit);
            }
        }
    }

    /// <summary>
    /// The entities a policy set names as literals (in its scopes and conditions), read from its canonical Cedar text
    /// so that the evaluator's internal representation stays its own. Templates count too: more roots only widen the slice.
    /// </summary>
    internal static CedarSliceLiterals Literals(CedarPolicySet policies)
    {
        var found = new HashSet<EntityUid>();
        foreach (var policy in policies.Policies)
        {
            var tokens = CedarLexer.Tokenize(policy.ToCedar());
            for (var i = 0; i < tokens.Count; i++)
            {
                // An entity literal is Name (:: Name)* :: "id"; find each string preceded by ::, then walk back over the path.
                if (tokens[i].Kind != TokenKind.String || i < 2 || tokens[i - 1].Kind != TokenKind.DoubleColon)
                {
                    continue;
                }

                var start = i - 2;
                while (start >= 2 && tokens[start].Kind == TokenKind.Ident && tokens[start - 1].Kind == TokenKind.DoubleColon && tokens[start - 2].Kind == TokenKind.Ident)
                {
                    start -= 2;
                }

                var text = new StringBuilder();
                for (var k = start; k < i; k++)
                {
                    text.Append(tokens[k].Kind == TokenKind.DoubleColon ? "::" : tokens[k].Text);
                }

                text.Append('"').Append(tokens[i].Text).Append('"');
                if (CedarParser.TryParseEntityUid(text.ToString()) is { } uid)
                {
                    found.Add(uid);
                }
            }
        }

        return new CedarSliceLiterals(found);
    }

    /// <summary>
    /// The canonical JSON of entities and values: UTF-8, no whitespace, object members sorted by the bytes of their
    /// encoded names, set elements by the bytes of their encoding, strings escaping only <c>"</c>, <c>\</c>, controls
    /// and lone surrogates (as <c>\u</c> and four lowercase hex digits).
    /// </summary>
    internal static class CanonicalJson
    {
        internal static byte[] Entities(IEnumerable<CedarEntity> entities)
        {
            var encoded = new List<(byte[] Uid, byte[] Whole)>();
            foreach (var entity in entities)
            {
                encoded.Add(Entity(entity));
            }

            encoded.Sort((a, b) => ByteOrder.Instance.Compare(a.Uid, b.Uid));
            return Array(encoded.Select(e => e.Whole));
        }

        /// <summary>One entity's encoding, and its uid's (the key entities are sorted by).</summary>
        internal static (byte[] Uid, byte[] Whole) Entity(CedarEntity entity)
        {
            {
                var uid = Uid(entity.Uid);
                var parents = new SortedSet<byte[]>(ByteOrder.Instance);
                foreach (var parent in entity.Parents)
                {
                    parents.Add(Uid(parent));
                }

                var members = new List<(byte[] Name, byte[] Value)>
                {
                    (Str("uid"), uid),
                    (Str("attrs"), Record(entity.Attrs)),
                    (Str("parents"), Array(parents)),
                };
                if (entity.Tags is { Count: > 0 } tags)
                {
                    members.Add((Str("tags"), Record(tags)));
                }

                return (uid, Object(members, sort: false));
            }
        }

        internal static byte[] Record(RecordValue record) => Record(record.Attrs);

        private static byte[] Record(Dictionary<string, CedarValue> fields) =>
            Object(fields.Select(f => (Str(f.Key), Value(f.Value))).ToList(), sort: true);

        private static byte[] Value(CedarValue value) => value switch
        {
            BoolValue b => Encoding.UTF8.GetBytes(b.Value ? "true" : "false"),
            LongValue l => Encoding.UTF8.GetBytes(l.Value.ToString(CultureInfo.InvariantCulture)),
            StringValue s => Str(s.Value),
            EntityUid uid => Object([(Str("__entity"), Uid(uid))], sort: false),
            SetValue set => Array(new SortedSet<byte[]>(set.Items.Select(Value), ByteOrder.Instance)),
            RecordValue record => Record(record.Attrs),
            DecimalValue d => Extension("decimal", Str(d.Format())),
            IpValue ip => Extension("ip", Str(ip.Format())),
            DurationValue d => Extension("duration", Str(d.Millis.ToString(CultureInfo.InvariantCulture) + "ms")),
            // An instant as an offset from the epoch: exact for every value, whatever its year.
            DatetimeValue d => Object([(Str("__extn"), Object([(Str("fn"), Str("offset")), (Str("args"), Array([Extension("datetime", Str("1970-01-01")), Extension("duration", Str(d.Millis.ToString(CultureInfo.InvariantCulture) + "ms"))]))], sort: false))], sort: false),
            _ => throw new InvalidOperationException("no canonical JSON form for " + value.GetType().Name),
        };

        private static byte[] Extension(string function, byte[] argument) =>
            Object([(Str("__extn"), Object([(Str("fn"), Str(function)), (Str("arg"), argument)], sort: false))], sort: false);

        private static byte[] Uid(EntityUid uid) => Object([(Str("type"), Str(uid.Type)), (Str("id"), Str(uid.Id))], sort: false);

        private static byte[] Object(List<(byte[] Name, byte[] Value)> members, bool sort)
        {
            if (sort)
            {
                members.Sort((a, b) => ByteOrder.Instance.Compare(a.Name, b.Name));
            }

            using var buffer = new MemoryStream();
            buffer.WriteByte((byte)'{');
            for (var i = 0; i < members.Count; i++)
            {
                if (i > 0)
                {
                    buffer.WriteByte((byte)',');
                }

                buffer.Write(members[i].Name);
                buffer.WriteByte((byte)':');
                buffer.Write(members[i].Value);
            }

            buffer.WriteByte((byte)'}');
            return buffer.ToArray();
        }

        private static byte[] Array(IEnumerable<byte[]> items)
        {
            using var buffer = new MemoryStream();
            buffer.WriteByte((byte)'[');
            var first = true;
            foreach (var item in items)
            {
                if (!first)
                {
                    buffer.WriteByte((byte)',');
                }

                first = false;
                buffer.Write(item);
            }

            buffer.WriteByte((byte)']');
            return buffer.ToArray();
        }

        private static byte[] Str(string s)
        {
            var sb = new StringBuilder(s.Length + 2).Append('"');
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == '"' || c == '\\')
                {
                    sb.Append('\\').Append(c);
                }
                else if (c < 0x20)
                {
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                }
                else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    sb.Append(c).Append(s[++i]);
                }
                else if (char.IsSurrogate(c))
                {
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                }
                else
                {
                    sb.Append(c);
                }
            }

            return Encoding.UTF8.GetBytes(sb.Append('"').ToString());
        }
    }

    /// <summary>An entity's canonical encoding and its uid's.</summary>
    private sealed class Encoded(byte[] uid, byte[] whole)
    {
        public byte[] Uid { get; } = uid;

        public byte[] Whole { get; } = whole;
    }

    /// <summary>What is kept per entity store (immutable, so nothing here goes stale): encodings, and literal closures per literal set.</summary>
    private sealed class StoreCache(CedarEntityStore store)
    {
        private readonly Encoded?[] _encoded = new Encoded?[store.Count];

        public CedarEntityStore Store { get; } = store;

        public System.Runtime.CompilerServices.ConditionalWeakTable<CedarSliceLiterals, LiteralClosure> Closures { get; } = new();

        public Encoded Encode(int ordinal)
        {
            var encoded = Volatile.Read(ref _encoded[ordinal]);
            if (encoded is null)
            {
                var (uid, whole) = CanonicalJson.Entity(Store.At(ordinal));
                encoded = new Encoded(uid, whole);
                Volatile.Write(ref _encoded[ordinal], encoded);
            }

            return encoded;
        }
    }

    /// <summary>The closure of a literal set in one store: its entities sorted by encoded uid, and their total encoded length.</summary>
    private sealed class LiteralClosure
    {
        private readonly HashSet<int> _members = [];

        public LiteralClosure(StoreCache cache, IEnumerable<EntityUid> literals)
        {
            var store = cache.Store;
            var queue = new Queue<int>();
            void Visit(EntityUid uid)
            {
                var ordinal = store.OrdinalOf(uid);
                if (ordinal >= 0 && _members.Add(ordinal))
                {
                    queue.Enqueue(ordinal);
                }
            }

            foreach (var literal in literals)
            {
                Visit(literal);
            }

            while (queue.Count > 0 && !Oversized)
            {
                Expand(store.At(queue.Dequeue()), Visit);
                Oversized = _members.Count > MaxEntities;
            }

            Oversized |= _members.Count > MaxEntities;
            Sorted = Oversized ? [] : [.. _members];
            System.Array.Sort(Sorted, (a, b) => ByteOrder.Instance.Compare(cache.Encode(a).Uid, cache.Encode(b).Uid));
            foreach (var ordinal in Sorted)
            {
                Length += cache.Encode(ordinal).Whole.Length;
            }
        }

        /// <summary>Gets a value indicating whether the closure alone exceeds <see cref="MaxEntities"/> (no slice is recorded then).</summary>
        public bool Oversized { get; }

        public int Count => _members.Count;

        public int[] Sorted { get; }

        public int Length { get; }

        public bool Contains(int ordinal) => _members.Contains(ordinal);
    }

    /// <summary>Orders byte strings lexicographically (unsigned bytes; a prefix first).</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        internal static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}

/// <summary>The entities a policy set names as literals (<see cref="CedarEntitySlice.Literals"/>): immutable, so a slice can reuse their closure per entity store.</summary>
internal sealed class CedarSliceLiterals : IReadOnlyCollection<EntityUid>
{
    private readonly EntityUid[] _items;

    public CedarSliceLiterals(IEnumerable<EntityUid> items) => _items = [.. items];

    public int Count => _items.Length;

    public IEnumerator<EntityUid> GetEnumerator() => ((IEnumerable<EntityUid>)_items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
