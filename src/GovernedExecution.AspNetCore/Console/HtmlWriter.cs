using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>
/// Writes HTML so that nothing shown can become markup: every text and attribute value goes through the HTML encoder,
/// attributes are always quoted, element and attribute names are the console's own constants (checked), links and
/// sources take only a <see cref="ConsoleUrl"/> (built from encoded components), and there is no way to write raw
/// markup, a script body, a style or an event handler.
/// </summary>
internal sealed class HtmlWriter
{
    private static readonly HashSet<string> UrlAttributes = new(StringComparer.OrdinalIgnoreCase) { "href", "src", "action", "formaction", "srcset", "xlink:href", "poster", "data", "ping", "background" };
    private static readonly HashSet<string> RawTextElements = new(StringComparer.OrdinalIgnoreCase) { "script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "xmp", "plaintext", "base", "frame", "frameset", "applet", "link" };

    private readonly StringBuilder _html = new();
    private readonly HtmlEncoder _encoder = HtmlEncoder.Default;
    private readonly Stack<string> _open = new();

    /// <summary>The document so far (every opened element must be closed).</summary>
    public override string ToString() => _open.Count == 0 ? _html.ToString() : throw new InvalidOperationException($"unclosed element <{_open.Peek()}>");

    public HtmlWriter Doctype()
    {
        _html.Append("<!DOCTYPE html>");
        return this;
    }

    /// <summary>Opens an element with attributes given as name/value pairs (null values are left out).</summary>
    public HtmlWriter Open(string tag, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        StartTag(tag, attributes, null);
        _open.Push(tag);
        return this;
    }

    /// <summary>Opens an element with a link or source attribute built from a <see cref="ConsoleUrl"/>.</summary>
    public HtmlWriter OpenWithUrl(string tag, string urlAttribute, ConsoleUrl url, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        StartTag(tag, attributes, (urlAttribute, url));
        _open.Push(tag);
        return this;
    }

    public HtmlWriter Close(string tag)
    {
        if (_open.Count == 0 || !string.Equals(_open.Peek(), tag, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"</{tag}> does not close the open element");
        }

        _open.Pop();
        _html.Append("</").Append(tag).Append('>');
        return this;
    }

    /// <summary>An element holding only text.</summary>
    public HtmlWriter Element(string tag, string? text, params ReadOnlySpan<(string Name, string? Value)> attributes) =>
        Open(tag, attributes).Text(text).Close(tag);

    /// <summary>A void element (no content, no closing tag).</summary>
    public HtmlWriter Void(string tag, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        StartTag(tag, attributes, null);
        return this;
    }

    /// <summary>A link: the text is encoded, the address is a <see cref="ConsoleUrl"/>.</summary>
    public HtmlWriter Link(ConsoleUrl url, string? text, params ReadOnlySpan<(string Name, string? Value)> attributes) =>
        OpenWithUrl("a", "href", url, attributes).Text(text).Close("a");

    /// <summary>The console's own script file, by address (never an inline script).</summary>
    public HtmlWriter ScriptFile(ConsoleUrl url)
    {
        _html.Append("<script src=\"").Append(_encoder.Encode(url.Value)).Append("\" defer></script>");
        return this;
    }

    /// <summary>The console's own style sheet, by address (never an inline style).</summary>
    public HtmlWriter StyleSheet(ConsoleUrl url)
    {
        _html.Append("<link rel=\"stylesheet\" href=\"").Append(_encoder.Encode(url.Value)).Append("\">");
        return this;
    }

    public HtmlWriter Text(string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            _encoder.Encode(new StringWriter(_html, CultureInfo.InvariantCulture), text);
        }

        return this;
    }

    public HtmlWriter Text(long value) => Text(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A multi-line text block: the text in a <c>textarea</c> (its content is encoded like any text).</summary>
    public HtmlWriter TextArea(string? text, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        StartTag("textarea", attributes, null, allowRawText: true);
        Text(text);
        _html.Append("</textarea>");
        return this;
    }

    /// <summary>Writes nested SVG built by <see cref="SvgChart"/> (the same writer, so the same encoding).</summary>
    public HtmlWriter Svg(Action<HtmlWriter> content, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        Open("svg", attributes);
        content(this);
        return Close("svg");
    }

    private void StartTag(string tag, ReadOnlySpan<(string Name, string? Value)> attributes, (string Name, ConsoleUrl Url)? url, bool allowRawText = false)
    {
        CheckName(tag);
        if (!allowRawText && RawTextElements.Contains(tag))
        {
            throw new ArgumentException($"<{tag}> is not written by this writer", nameof(tag));
        }

        _html.Append('<').Append(tag);
        foreach (var (name, value) in attributes)
        {
            CheckName(name);
            if (UrlAttributes.Contains(name) || name.StartsWith("on", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "style", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"the attribute '{name}' takes a ConsoleUrl or is not written at all", nameof(attributes));
            }

            if (value is not null)
            {
                _html.Append(' ').Append(name).Append("=\"").Append(_encoder.Encode(value)).Append('"');
            }
        }

        if (url is { } link)
        {
            CheckName(link.Name);
            if (!UrlAttributes.Contains(link.Name))
            {
                throw new ArgumentException($"'{link.Name}' is not a link attribute", nameof(url));
            }

            _html.Append(' ').Append(link.Name).Append("=\"").Append(_encoder.Encode(link.Url.Value)).Append('"');
        }

        _html.Append('>');
    }

    private static void CheckName(string name)
    {
        if (name.Length == 0 || !name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or ':'))
        {
            throw new ArgumentException($"'{name}' is not an element or attribute name this writer writes", nameof(name));
        }
    }
}

/// <summary>
/// An address inside the console (or a data: image the console drew): a path under the console's base path whose
/// segments are percent-encoded, and a query whose names and values are percent-encoded. There is no constructor from
/// an arbitrary string, so a value from the lineage can never become a <c>javascript:</c> link.
/// </summary>
internal readonly record struct ConsoleUrl
{
    private ConsoleUrl(string value) => Value = value;

    public string Value { get; }

    /// <summary>The console's base path (from the host's own route pattern) followed by encoded segments.</summary>
    public static ConsoleUrl Under(string basePath, params ReadOnlySpan<string> segments)
    {
        var path = new StringBuilder(basePath.TrimEnd('/'));
        foreach (var segment in segments)
        {
            path.Append('/').Append(Uri.EscapeDataString(segment));
        }

        if (path.Length == 0)
        {
            path.Append('/');
        }

        return new ConsoleUrl(path.ToString());
    }

    /// <summary>This address with a query; pairs with a null or empty value are left out.</summary>
    public ConsoleUrl WithQuery(params IEnumerable<KeyValuePair<string, string?>> query)
    {
        var text = new StringBuilder(Value);
        var first = !Value.Contains('?', StringComparison.Ordinal);
        foreach (var (name, value) in query)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            text.Append(first ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }

        return new ConsoleUrl(text.ToString());
    }

    /// <summary>A fragment to an element id of this page.</summary>
    public ConsoleUrl WithFragment(string id) => new(Value + "#" + Uri.EscapeDataString(id));

    public override string ToString() => Value;
}
