using Platform.AllInOne.Demo;
using Platform.History;
using Platform.Ingest;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngest();
builder.AddHistory();
builder.AddDemoFeed();
builder.AddPlatformBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIngest();
app.MapHistory();
return await app.RunPlatformAsync(args);
