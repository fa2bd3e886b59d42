using System.Globalization;
using GovernedExecution.Internal;

namespace GovernedExecution.Lineage;

/// <summary>
/// Renders the executions of a log as a tree (parents and children) for <c>govexec lineage show</c>, streaming: an
/// execution is written once it and the executions nested in it have their outcome, so memory holds only the
/// executions still open, never the log. At most <see cref="DefaultWindow"/> executions are held open: beyond that the
/// oldest is written as recorded so far, and records of it that come later are shown as an entry of their own. Every
/// value taken from a record is escaped for the terminal: a log is input, and whoever could write it could write
/// escape sequences or bidi overrides into a principal, a policy name or a denial detail.
/// </summary>
internal static class LineageExecutionTree
{
    /// <summary>How many executions without an outcome are held before the oldest is written as it stands.</summary>
    internal const int DefaultWindow = 4096;

    internal static string Render(IReadOnlyList<string> paths, string? root, int window = DefaultWindow)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        Write(paths, root, text, window);
        return text.ToString();
    }

    /// <summary>Writes the tree of the log's executions (or of <paramref name="root"/> and its descendants) to <paramref name="output"/> as the log is read.</summary>
    /// <exception cref="InvalidDataException">A line is not a record (and not a sealed torn or damaged line), or there is no record.</exception>
    /// <exception cref="ArgumentException"><paramref name="root"/> is not an execution of the log.</exception>
    internal static void Write(IReadOnlyList<string> paths, string? root, TextWriter output, int window = DefaultWindow) =>
        Write(ReadFiles(paths), root, output, window);

    /// <summary>Writes the tree of the executions of <paramref name="records"/> (in log order), or of <paramref name="root"/> and its descendants, as they are read.</summary>
    /// <exception cref="InvalidDataException">There is no record (or reading one fails so).</exception>
    /// <exception cref="ArgumentException"><paramref name="root"/> is not an execution of the records.</exception>
    internal static void Write(IEnumerable<LineageRecordLine> records, string? root, TextWriter output, int window = DefaultWindow)
    {
        Guid? only = null;
        if (root is not null)
        {
            only = Guid.TryParse(root, out var id) ? id : throw NotInLog(root);
        }

        var forest = new Forest(output, only, window);
        long count = 0;
        foreach (var record in records)
        {
            count++;
            if (record.Kind is not (LineageEventKind.Checkpoint or LineageEventKind.Repair or LineageEventKind.RecordsLost))
            {
                forest.Add(record);
            }
        }

        if (count == 0)
        {
            throw new InvalidDataException("the log is empty: no records in the files given");
        }

        if (!forest.Finish() && root is not null)
        {
            throw NotInLog(root);
        }
    }

    /// <summary>The records of a log's files, in log order; a torn or damaged line sealed by the repair record after it is skipped, as verify does.</summary>
    /// <exception cref="InvalidDataException">A line is not a record and is not sealed.</exception>
    private static IEnumerable<LineageRecordLine> ReadFiles(IReadOnlyList<string> paths)
    {
        foreach (var path in LineageVerifier.InLogOrder(paths))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var reader = new LineageLineReader(stream, 0);
            long number = 0;
            while (reader.TryRead(out var line, out _, out _))
            {
                number++;
                var record = LineageRecordLine.TryParse(line.Span, out var error);
                if (record is null)
                {
                    if (!reader.NextSeals(line.Span))
                    {
                        throw new InvalidDataException($"{path}:{number}: {error}");
                    }

                    continue;
                }

                yield return record;
            }
        }
    }

    private static ArgumentException NotInLog(string root) => new($"Execution '{TerminalText.Escape(root)}' is not in the log.");

    /// <summary>The executions still open, each under its open parent; roots in the order of their first record.</summary>
    private sealed class Forest(TextWriter output, Guid? only, int window)
    {
        private readonly Dictionary<Guid, Execution> _open = [];
        private readonly LinkedList<Execution> _roots = [];

        // With --execution: the ids of the subtree seen so far (it grows with what is shown, not with the log).
        private readonly HashSet<Guid>? _selected = only is { } id ? [id] : null;
        private long _shown;

        internal void Add(LineageRecordLine record)
        {
            if (!_open.TryGetValue(record.ExecutionId, out var execution))
            {
                if (_selected is not null && !_selected.Contains(record.ExecutionId))
                {
                    if (record.ParentExecutionId is not { } selectedParent || !_selected.Contains(selectedParent))
                    {
                        return;
                    }

                    _selected.Add(record.ExecutionId);
                }

                var parent = record.ParentExecutionId is { } parentId && _open.TryGetValue(parentId, out var open) ? open : null;
                execution = new Execution(record.ExecutionId, record.ParentExecutionId, parent);
                _open.Add(record.ExecutionId, execution);
                if (parent is null)
                {
                    execution.Root = _roots.AddLast(execution);
                }
                else
                {
                    // A parent done but not yet shown (an ancestor is still open) is open again, and so are the
                    // ancestors that were done with it.
                    var wasDone = parent.IsDone;
                    parent.Children.Add(execution);
                    parent.OpenChildren++;
                    for (var up = parent.Parent; wasDone && up is not null; up = up.Parent)
                    {
                        wasDone = up.IsDone;
                        up.OpenChildren++;
                    }
                }

            }

            var done = execution.IsDone;
            execution.Add(record);
            if (!done && execution.IsDone)
            {
                Settle(execution);
            }

            if (_open.Count > window)
            {
                Emit(_roots.First!.Value);
            }
        }

        /// <summary>Writes what is still open and the count; returns whether anything was shown.</summary>
        internal bool Finish()
        {
            while (_roots.First is { } first)
            {
                Emit(first.Value);
            }

            if (_shown == 0 && only is not null)
            {
                return false;
            }

            output.WriteLine($"{_shown} execution(s)");
            return true;
        }

        /// <summary>An execution has its outcome and so have those nested in it: its parent may now be done too.</summary>
        private void Settle(Execution execution)
        {
            while (execution.Parent is { } parent)
            {
                parent.OpenChildren--;
                if (!parent.IsDone)
                {
                    return;
                }

                execution = parent;
            }

            if (execution.Root is not null)
            {
                Emit(execution);
            }
        }

        private void Emit(Execution root)
        {
            _roots.Remove(root.Root!);
            root.Root = null;
            Write(root, string.Empty, string.Empty);
        }

        private void Write(Execution execution, string indent, string branch)
        {
            _open.Remove(execution.Id);
            _shown++;
            output.Write(indent);
            output.Write(branch);
            output.WriteLine(execution.Summary(shownAsRoot: branch.Length == 0));
            var childIndent = indent + (branch.Length == 0 ? string.Empty : branch == "└─ " ? "   " : "│  ");
            for (var i = 0; i < execution.Children.Count; i++)
            {
                Write(execution.Children[i], childIndent, i == execution.Children.Count - 1 ? "└─ " : "├─ ");
            }
        }
    }

    /// <summary>One execution as its records state it: the last record of each kind, and every approval.</summary>
    private sealed class Execution(Guid id, Guid? parentId, Execution? parent)
    {
        private readonly LineageRecordLine?[] _last = new LineageRecordLine?[(int)LineageEventKind.ExecutionRevoked + 1];
        private readonly List<LineageRecordLine> _approvals = [];
        private LineageEventKind? _lastKind;
        private bool _finished;

        internal Guid Id => id;

        /// <summary>The parent, while it is open; <see langword="null"/> for an execution shown as a root.</summary>
        internal Execution? Parent => parent;

        /// <summary>Its place among the open roots, while it is one.</summary>
        internal LinkedListNode<Execution>? Root { get; set; }

        internal List<Execution> Children { get; } = [];

        internal int OpenChildren { get; set; }

        /// <summary>It has its outcome (completed, failed, denied, or a dry run), and so have the executions nested in it.</summary>
        internal bool IsDone => _finished && OpenChildren == 0;

        internal void Add(LineageRecordLine record)
        {
            if (record.Kind == LineageEventKind.ApprovalRecorded)
            {
                _approvals.Add(record);
            }
            else if ((int)record.Kind < _last.Length && record.Kind > 0)
            {
                _last[(int)record.Kind] = record;
            }

            _lastKind = record.Kind;
            _finished |= record.Kind is LineageEventKind.ExecutionCompleted or LineageEventKind.ExecutionFailed or LineageEventKind.ExecutionRevoked
                or LineageEventKind.ExecutionDenied or LineageEventKind.DryRun;
        }

        internal string Summary(bool shownAsRoot)
        {
            var intent = Find(LineageEventKind.IntentSubmitted) ?? Find(LineageEventKind.DryRun);
            var policy = Find(LineageEventKind.PolicyEvaluated);
            var verified = Find(LineageEventKind.ArtifactVerified);
            var parts = new List<string> { shownAsRoot && parentId is { } shownApart ? $"{id:D} (child of {shownApart:D})" : id.ToString("D") };
            if (intent is not null)
            {
                parts.Add($"{Shown(intent["principal"])} -> {Shown(intent["action"])} on {Shown(intent["resource"])}");
            }

            parts.Add("phase " + Phase());
            if (policy is not null)
            {
                parts.Add($"decision {Shown(policy["decision"])}" + (string.IsNullOrEmpty(policy["policies"]) ? string.Empty : $" ({Shown(policy["policies"])})"));
            }

            foreach (var approval in _approvals)
            {
                parts.Add($"approval {(approval["approved"] == "true" ? "granted" : "refused")} by {Shown(approval["approver"])}");
            }

            if (verified is not null)
            {
                parts.Add("artifact " + Shown(verified["verdict"]));
            }

            parts.Add("outcome " + Outcome());
            return string.Join("  |  ", parts);
        }

        private string Phase() => _lastKind is { } kind ? LineageKindLabel(kind) : "none";

        private string Outcome()
        {
            if (Find(LineageEventKind.ExecutionCompleted) is { } completed)
            {
                return $"completed in {Shown(completed["duration_us"])} us";
            }

            if (Find(LineageEventKind.ExecutionFailed) is { } failed)
            {
                return $"failed: {Shown(failed["exception"])}";
            }

            if (Find(LineageEventKind.ExecutionRevoked) is { } revoked)
            {
                return $"revoked ({Shown(revoked["cause"])}), reason {Shown(revoked["reason"])}: {Shown(revoked["detail"])}";
            }

            if (Find(LineageEventKind.ExecutionDenied) is { } denied)
            {
                return $"denied, reason {Shown(denied["reason"])}: {Shown(denied["detail"])}";
            }

            if (Find(LineageEventKind.DryRun) is { } dry)
            {
                return $"dry run, allowed {Shown(dry["allowed"])}" + (dry["reason"] is { } reason ? $", reason {Shown(reason)}" : string.Empty);
            }

            return Find(LineageEventKind.ExecutionStarted) is null ? "none recorded" : "started, no outcome recorded";
        }

        private static string Shown(string? value) => TerminalText.Escape(value);

        private LineageRecordLine? Find(LineageEventKind kind) => _last[(int)kind];

        private static string LineageKindLabel(LineageEventKind kind) => kind.ToString();
    }
}
