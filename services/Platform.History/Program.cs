using Platform.History;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddHistory();
builder.AddPlatformBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapHistory();
return await app.RunPlatformAsync(args);
