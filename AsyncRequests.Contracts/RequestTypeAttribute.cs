namespace AsyncRequests.Contracts;

/// <summary>Names the request type an input record belongs to, as clients write it in <c>"type"</c>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequestTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;

    /// <summary>A valid input as JSON, shown to clients by the request-type catalog.</summary>
    public string Example { get; set; } = "{}";
}
