using AsyncRequests.Processor;
using AsyncRequests.Processor.Handlers;
using AsyncRequests.Requests.RequestTypes;
using Microsoft.Extensions.Hosting;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>The request types and the Processor's handlers are listed by hand (Native AOT cannot scan for them): the lists must be complete.</summary>
public sealed class RequestTypeNamesTests
{
    [Fact]
    public void Every_input_record_of_the_contract_is_a_listed_request_type()
    {
        var inputRecords = typeof(RequestInput).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(RequestInput)) && !t.IsAbstract);

        Assert.Equal(inputRecords.OrderBy(t => t.Name), RequestTypeNames.InputTypes.Values.OrderBy(t => t.Name));
    }

    [Fact]
    public void Every_request_type_has_one_handler_in_the_processor()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddRequestProcessing();

        var handled = builder.Services.Where(d => d.IsKeyedService && d.ServiceType == typeof(IRequestHandler)).Select(d => (string)d.ServiceKey!);
        Assert.Equal(RequestTypeNames.Names.Order(), handled.Order());
    }
}
