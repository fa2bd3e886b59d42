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

    /// <summary>Takes the slice of <paramref name="store"/> for one request.</summary>
    internal static CedarEntitySlice Take(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore store, IReadOnlyCollection<EntityUid> literals)
    {
        var seen = new HashSet<EntityUid>();
        var queue = new Queue<EntityUid>();
        var included = new List<CedarEntity>();
        void Visit(EntityUid uid)
        {
            if (seen.Add(uid))
            {
                queue.Enqueue(uid);
            }
        }

        void VisitValue(CedarValue value)
        {
            switch (value)
            {
                case EntityUid uid:
                    Visit(uid);
                    break;
                case SetValue set:
                    foreach (var item in set.Items)
                    {
                        VisitValue(item);
                    }

                    break;
                case RecordValue record:
                    foreach (var field in record.Attrs.Values)
                    {
                        VisitValue(field);
                    }

                    break;
            }
        }

        Visit(principal);
        Visit(action);
        Visit(resource);
        foreach (var literal in literals)
        {
            Visit(literal);
        }

        VisitValue(context);
        while (queue.Count > 0)
        {
            var entity = store.Get(queue.Dequeue());
            if (entity is null)
            {
                continue; // absent from the store: absent from the slice too, so evaluation sees the same absence
            }

            included.Add(entity);
            if (included.Count > MaxEntities)
            {
                return new CedarEntitySlice(null, included.Count, CanonicalJson.Record(context));
            }

            foreach (var ancestor in entity.Ancestors)
            {
                Visit(ancestor);
            }

            foreach (var value in entity.Attrs.Values)
            {
                VisitValue(value);
            }

            if (entity.Tags is { } tags)
            {
                foreach (var value in tags.Values)
                {
                    VisitValue(value);
                }
            }
        }

        return new CedarEntitySlice(CanonicalJson.Entities(included), included.Count, CanonicalJson.Record(context));
    }

    /// <summary>
    /// The entities a policy set names as literals (in its scopes and conditions), read from its canonical Cedar text
    /// so that the evaluator's internal representation stays its own. Templates count too: more roots only widen the slice.
    /// </summary>
    internal static IReadOnlyCollection<EntityUid> Literals(CedarPolicySet policies)
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

        return found;
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

                encoded.Add((uid, Object(members, sort: false)));
            }

            encoded.Sort((a, b) => ByteOrder.Instance.Compare(a.Uid, b.Uid));
            return Array(encoded.Select(e => e.Whole));
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

    /// <summary>Orders byte strings lexicographically (unsigned bytes; a prefix first).</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        internal static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
