using System.Net.Http.Headers;

namespace AsyncRequests.Tests.Admin;

/// <summary>The admin keys the tests configure, and a client that sends one.</summary>
public static class AdminKeys
{
    public const string Key = "test-admin-key-0123456789";
    public const string RotatedKey = "rotated-admin-key-9876543210";

    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Admin:ApiKeys:0"] = Key, ["Admin:StatsCacheMilliseconds"] = "0" };
        foreach (var (name, value) in more ?? [])
        {
            settings[name] = value;
        }

        return settings;
    }

    /// <summary>Sends every request of <paramref name="client"/> as the operator.</summary>
    public static HttpClient AsAdmin(this HttpClient client, string key = Key)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
