using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using AsyncRequests.Requests.RequestTypes;
using Microsoft.Extensions.Primitives;

namespace AsyncRequests.Api.Admin;

/// <summary>The validated filters and position of <c>GET /admin/requests</c>.</summary>
public sealed record RequestListQuery(
    RequestStatus? Status,
    string? Type,
    DateTimeOffset? CreatedBefore,
    DateTimeOffset? CreatedAfter,
    int Limit,
    RequestListCursor? After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    private const int MaxTypeLength = 64;

    private static readonly string[] s_parameters = ["status", "type", "createdBefore", "createdAfter", "limit", "cursor"];

    /// <summary>
    /// Reads the bound query values; every invalid one is reported under its parameter name, and so is
    /// any parameter of <paramref name="given"/> (the whole query) that is unknown or given more than
    /// once, where binding would have joined the values with commas or a typo would have listed everything.
    /// </summary>
    public static (RequestListQuery? Query, Dictionary<string, string[]> Errors) Read(
        string? status, string? type, string? createdBefore, string? createdAfter, string? limit, string? cursor,
        IEnumerable<KeyValuePair<string, StringValues>> given)
    {
        var errors = new Dictionary<string, string[]>();

        RequestStatus? statusFilter = null;
        if (status is not null)
        {
            statusFilter = Enum.GetValues<RequestStatus>().Cast<RequestStatus?>().FirstOrDefault(s => s!.Value.ToWireName() == status);
            if (statusFilter is null)
            {
                errors["status"] = [$"The status must be one of {string.Join(", ", Enum.GetValues<RequestStatus>().Select(s => s.ToWireName()))}."];
            }
        }

        // NUL and lone surrogates would fail the query in PostgreSQL; control characters are in no type name.
        if (type is not null && (type.Length is 0 or > MaxTypeLength || StorableText.FindProblem(type) is not null || type.Any(char.IsControl)))
        {
            errors["type"] = [$"The type must be 1 to {MaxTypeLength} printable characters."];
        }

        var before = ReadTime(createdBefore, "createdBefore", errors);
        var after = ReadTime(createdAfter, "createdAfter", errors);

        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"The limit must be a whole number from 1 to {MaxLimit}."];
        }

        RequestListCursor? position = null;
        if (cursor is not null && !RequestListCursor.TryDecode(cursor, out position))
        {
            errors["cursor"] = ["The cursor is not one this API handed out; start again without it."];
        }

        foreach (var (name, values) in given)
        {
            if (!s_parameters.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                errors[name] = [$"Unknown parameter; the list takes {string.Join(", ", s_parameters)}."];
            }
            else if (values.Count > 1)
            {
                errors[s_parameters.First(p => p.Equals(name, StringComparison.OrdinalIgnoreCase))] = ["Give this parameter once."];
            }
        }

        return errors.Count > 0
            ? (null, errors)
            : (new RequestListQuery(statusFilter, type, before, after, pageSize, position), errors);
    }

    private static DateTimeOffset? ReadTime(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time.ToUniversalTime();
        }

        errors[name] = [$"The {name} value must be an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."];
        return null;
    }
}

/// <summary>
/// Where a page ended: the (created_at, id) of its last row, the key the list is ordered by. Opaque to
/// clients (base64url of the exact values), so the encoding may change without breaking the contract.
/// </summary>
public sealed record RequestListCursor(DateTimeOffset CreatedAt, Guid Id)
{
    private const int Length = sizeof(long) + 16;

    /// <summary>Base64url without padding of <see cref="Length"/> bytes.</summary>
    private const int EncodedLength = 32;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, CreatedAt.UtcTicks);
        Id.TryWriteBytes(bytes[sizeof(long)..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// Takes back exactly the text <see cref="Encode"/> writes: other spellings of the same bytes, and times
    /// finer than the database keeps (microseconds), were never handed out.
    /// </summary>
    public static bool TryDecode(string value, out RequestListCursor? cursor)
    {
        cursor = null;
        Span<byte> bytes = stackalloc byte[Length];

        // Not TryDecodeFromChars: it throws FormatException on malformed text instead of answering false.
        if (value.Length != EncodedLength
            || Base64Url.DecodeFromChars(value, bytes, out _, out var written) != OperationStatus.Done
            || written != Length)
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks || ticks % TimeSpan.TicksPerMicrosecond != 0)
        {
            return false;
        }

        var decoded = new RequestListCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[sizeof(long)..], bigEndian: true));
        if (decoded.Encode() != value)
        {
            return false;
        }

        cursor = decoded;
        return true;
    }
}
